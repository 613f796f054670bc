// A type-erased Dataset, for drivers that pick the storage format at run time (HDF5 or .npy)
// but build one loader type. Tensor tier.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "segbench/concepts/dataset.hpp"

namespace segbench {

class AnyDataset {
 public:
  template <Dataset D>
  explicit AnyDataset(D dataset) : self_(std::make_shared<Model<D>>(std::move(dataset))) {}

  std::size_t size() const { return self_->size(); }
  Sample get(std::size_t i) const { return self_->get(i); }
  std::string case_id(std::size_t i) const { return self_->case_id(i); }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual std::size_t size() const = 0;
    virtual Sample get(std::size_t i) const = 0;
    virtual std::string case_id(std::size_t i) const = 0;
  };
  template <class D>
  struct Model final : Concept {
    explicit Model(D d) : dataset(std::move(d)) {}
    std::size_t size() const override { return dataset.size(); }
    Sample get(std::size_t i) const override { return dataset.get(i); }
    std::string case_id(std::size_t i) const override { return dataset.case_id(i); }
    D dataset;
  };
  std::shared_ptr<const Concept> self_;
};

static_assert(Dataset<AnyDataset>);

}  // namespace segbench

// Compile-time checks: the library's types satisfy their concepts, and a type that lacks one
// member is rejected (so the concepts really constrain). The runtime case only reports them.
#include "catch_torch.hpp"

#include "segbench/concepts/dataset.hpp"
#include "segbench/concepts/distributed.hpp"
#include "segbench/concepts/model.hpp"
#include "segbench/concepts/quality_target.hpp"
#include "segbench/concepts/trainer.hpp"
#include "segbench/data/any_dataset.hpp"
#include "segbench/data/brats_dataset.hpp"
#include "segbench/data/cam5_dataset.hpp"
#include "segbench/data/kits19_dataset.hpp"
#include "segbench/dist/any_context.hpp"
#include "segbench/dist/gloo_context.hpp"
#include "segbench/dist/single_process.hpp"
#include "segbench/metrics/dice.hpp"
#include "segbench/metrics/iou.hpp"
#include "segbench/models/deeplabv3_plus.hpp"
#include "segbench/models/unet2d.hpp"
#include "segbench/models/unet3d.hpp"
#include "segbench/train/trainer.hpp"
#ifdef SEGBENCH_HAVE_MPI
#include "segbench/dist/mpi_context.hpp"
#endif

using namespace segbench;

namespace {

// The least a Dataset provides, and the same without case_id().
struct MinimalDataset {
  std::size_t size() const { return 1; }
  Sample get(std::size_t) const { return {}; }
  std::string case_id(std::size_t) const { return "a"; }
};
struct DatasetWithoutCaseId {
  std::size_t size() const { return 1; }
  Sample get(std::size_t) const { return {}; }
};
struct DatasetReturningTensor {  // get() must give a Sample
  std::size_t size() const { return 1; }
  at::Tensor get(std::size_t) const { return {}; }
  std::string case_id(std::size_t) const { return "a"; }
};

struct MinimalTarget {
  void update(const std::vector<double>&) {}
  template <DistributedContext C>
  double aggregate(C&) {
    return 0.0;
  }
  void reset() {}
  bool reached(double v) const { return v >= 1.0; }
  double target() const { return 1.0; }
  std::string name() const { return "t"; }
};
struct TargetWithoutStopRule {
  void update(const std::vector<double>&) {}
  template <DistributedContext C>
  double aggregate(C&) {
    return 0.0;
  }
  void reset() {}
  double target() const { return 1.0; }
  std::string name() const { return "t"; }
};

struct ContextWithoutBarrier {
  int rank() const { return 0; }
  int world_size() const { return 1; }
  int local_rank() const { return 0; }
  std::string backend_name() const { return "x"; }
  void allreduce_sum(at::Tensor&) {}
  double allreduce_sum(double v) { return v; }
  void broadcast(at::Tensor&, int) {}
};

struct NotAModuleHolder {  // forward() exists, but no -> access to a module
  at::Tensor forward(const at::Tensor& x) { return x; }
};

struct TrainerWithoutFit {};

}  // namespace

static_assert(Model<Unet3D> && Model<Unet2D> && Model<DeepLabV3Plus>);
static_assert(!Model<NotAModuleHolder>);
static_assert(Dataset<Kits19Dataset> && Dataset<BratsDataset> && Dataset<Cam5Hdf5Dataset> &&
              Dataset<Cam5NpyDataset> && Dataset<AnyDataset> && Dataset<MinimalDataset>);
static_assert(!Dataset<DatasetWithoutCaseId> && !Dataset<DatasetReturningTensor>);
static_assert(QualityTarget<MeanDiceTarget> && QualityTarget<MeanIouTarget> &&
              QualityTarget<MinimalTarget>);
static_assert(!QualityTarget<TargetWithoutStopRule>);
static_assert(DistributedContext<SingleProcessContext> && DistributedContext<AnyContext> &&
              DistributedContext<GlooContext>);
#ifdef SEGBENCH_HAVE_MPI
static_assert(DistributedContext<MpiContext>);
#endif
static_assert(!DistributedContext<ContextWithoutBarrier>);
static_assert(Trainer<SegmentationTrainer> && !Trainer<TrainerWithoutFit>);

TEST_CASE("the library's types satisfy the five concepts (checked at compile time)", "[trainer]") {
  // The static_asserts above are the test; this case records that the file was compiled in.
  CHECK(Dataset<MinimalDataset>);
  CHECK_FALSE(Dataset<DatasetWithoutCaseId>);
}

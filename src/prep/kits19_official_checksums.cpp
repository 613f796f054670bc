#include "segbench/prep/kits19_official_checksums.hpp"

#include "segbench/io/md5.hpp"

namespace segbench::prep {

const ChecksumTable& kits19_official_checksums() {
  static const ChecksumTable table =
      parse_checksum_table(kits19_official_checksums_json(), "embedded kits19_checksum.json");
  return table;
}

const std::string& kits19_official_checksums_md5() {
  static const std::string md5 = io::md5_hex(kits19_official_checksums_json());
  return md5;
}

}  // namespace segbench::prep

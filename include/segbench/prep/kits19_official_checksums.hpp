// The MLCommons KiTS19 checksum table: the 420 preprocessed files case_XXXXX_{x,y}.npy
// (ids 0..209) → MD5 (REF3D checksum.json), embedded at build time from
// src/prep/kits19_checksum.json. No torch here.
#pragma once

#include <string>
#include <string_view>

#include "segbench/prep/checksum_manifest.hpp"

namespace segbench::prep {

/// The embedded JSON text, byte for byte as shipped.
std::string_view kits19_official_checksums_json();

/// The parsed table (420 entries), parsed once.
const ChecksumTable& kits19_official_checksums();

/// MD5 of the embedded JSON text: names the table in verification records.
const std::string& kits19_official_checksums_md5();

}  // namespace segbench::prep

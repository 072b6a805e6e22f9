// h5py's LZF compression (HDF5 filter 32000), which libhdf5 does not ship: h5py
// registers its own, so files h5py writes with compression="lzf" need it. We
// register a filter of that id built on Debian's liblzf, for reading and writing.
#pragma once

namespace ws {

/// Registers the LZF filter with libhdf5 (once); false when HDF5 refused it.
bool registerLzfFilter();

} // namespace ws

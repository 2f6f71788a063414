// The toml++ implementation (parser, nodes, formatters) compiled with the fuzz flags, so that the
// config fuzz targets get coverage feedback from inside the TOML parser (see CMakeLists.txt).
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>

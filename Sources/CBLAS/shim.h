// CBLAS from OpenBLAS (Debian: libopenblas-dev), plus its thread-count controls.
#pragma once
#include <cblas.h>

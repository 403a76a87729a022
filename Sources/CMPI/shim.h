// Open MPI for Swift. MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, ...) are macros over
// addresses of global objects, which Swift cannot import: each is exposed as a function.
#pragma once
#include <mpi.h>

static inline MPI_Comm q8_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm q8_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Datatype q8_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype q8_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype q8_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype q8_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op q8_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op q8_mpi_max(void) { return MPI_MAX; }
static inline void *q8_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Request q8_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *q8_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Info q8_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline MPI_Errhandler q8_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }

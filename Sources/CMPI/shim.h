// Open MPI for Swift. MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, ...) are macros over
// addresses of global objects, which Swift cannot import: each is exposed as a function.
#pragma once
#include <mpi.h>

static inline MPI_Comm q8_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm q8_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Datatype q8_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype q8_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype q8_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype q8_mpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype q8_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op q8_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op q8_mpi_max(void) { return MPI_MAX; }
static inline void *q8_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Request q8_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *q8_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Info q8_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline MPI_Errhandler q8_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Status *q8_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline MPI_Errhandler q8_mpi_errors_are_fatal(void) { return MPI_ERRORS_ARE_FATAL; }

// Integer constants (some are enumerators or macros over other macros): one name each.
static inline int q8_mpi_success(void) { return MPI_SUCCESS; }
static inline int q8_mpi_undefined(void) { return MPI_UNDEFINED; }
static inline int q8_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int q8_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline int q8_mpi_thread_single(void) { return MPI_THREAD_SINGLE; }
static inline int q8_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int q8_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int q8_mpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }
static inline int q8_mpi_err_in_status(void) { return MPI_ERR_IN_STATUS; }
static inline int q8_mpi_err_other(void) { return MPI_ERR_OTHER; }
static inline MPI_Op q8_mpi_min(void) { return MPI_MIN; }
static inline MPI_Datatype q8_mpi_char(void) { return MPI_CHAR; }
static inline int q8_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int q8_mpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline int q8_mpi_max_library_version_string(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }

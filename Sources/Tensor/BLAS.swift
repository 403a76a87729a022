import CBLAS

/// Row-major single-precision GEMM over OpenBLAS. OpenBLAS runs one thread per call: the
/// kernels split GEMMs over our own workers (`Parallel.configure`).
public enum BLAS {
    /// OpenBLAS's own worker threads.
    static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// C[m, n] = alpha * op(A) op(B) + beta * C, row-major, with leading dimensions.
    /// op(A) is m x k (A is k x m when transA), op(B) is k x n (B is n x k when transB).
    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false,
                             m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }
}

import Foundation

/// Process resource figures.
public enum ResourceUsage {
    /// Peak resident set size of this process, in MiB (getrusage: ru_maxrss is KiB on Linux).
    public static var peakResidentMiB: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

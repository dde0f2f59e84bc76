import DeltaArbitrage
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a load that only moved bytes would cost on this machine, measured
/// beside the loaders so that their figures can be read as a fraction of
/// memory speed: the loaders can copy no faster than this, whatever their
/// parsing costs.
enum MemoryCeiling {
    /// Best-of-`repeats` seconds to copy `bytes` from a warm buffer into
    /// freshly allocated memory readied with `FreshPages` (as the loaders'
    /// output columns are), split over `threads` threads, each readying and
    /// filling its own part. Allocation and release are outside the timing;
    /// the kernel's zeroing of the fresh pages is inside, as in a load.
    static func freshCopySeconds(bytes: Int, threads: Int, repeats: Int) -> Double {
        guard bytes > 0, let source = malloc(bytes) else { return .nan }
        defer { free(source) }
        memset(source, 1, bytes)
        let parts = max(threads, 1)
        var best = Double.infinity
        for _ in 0..<max(repeats, 1) {
            guard let target = malloc(bytes) else { return .nan }
            let shared = Buffers(source: UnsafeRawPointer(source), target: target)
            let (_, seconds) = Stopwatch.time {
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let from = bytes * part / parts, to = bytes * (part + 1) / parts
                    let region = UnsafeMutableRawBufferPointer(start: shared.target + from, count: to - from)
                    FreshPages.prepare(region)
                    memcpy(shared.target + from, shared.source + from, to - from)
                }
            }
            free(target)
            best = min(best, seconds)
        }
        return best
    }

    /// Best-of-`repeats` seconds to `read(2)` the whole file at `path` (its
    /// pages cached) into one reused 32 MiB buffer: the input side of a CSV load.
    static func readSeconds(path: String, repeats: Int) -> Double {
        let blockBytes = 32 << 20
        guard let buffer = malloc(blockBytes) else { return .nan }
        defer { free(buffer) }
        var best = Double.infinity
        for _ in 0..<max(repeats, 1) {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { return .nan }
            defer { close(fd) }
            let (_, seconds) = Stopwatch.time {
                while read(fd, buffer, blockBytes) > 0 {}
            }
            best = min(best, seconds)
        }
        return best
    }

    /// The two pointers, shared by the copying threads. `@unchecked
    /// Sendable`: each thread writes its own part only.
    private struct Buffers: @unchecked Sendable {
        let source: UnsafeRawPointer
        let target: UnsafeMutableRawPointer
    }
}

extension Benchmark {
    /// The cores the loaders and the ceiling measurements use.
    static var cores: Int { max(ProcessInfo.processInfo.activeProcessorCount, 1) }
}

import CZlib
import Foundation

/// gzip and zip files built in the test from zlib's own deflate, so that no
/// binary fixture is committed and no external tool is needed.
enum CompressedFixtures {
    /// Raw deflate data: zlib's `compress2` output without its 2-byte header and 4-byte Adler-32 trailer.
    static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var size = compressBound(UInt(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(size))
        let status = compress2(&out, &size, bytes, UInt(bytes.count), 6)
        precondition(status == Z_OK, "compress2 failed: \(status)")
        return Array(out[2..<(Int(size) - 4)])
    }

    static func crc(_ bytes: [UInt8]) -> UInt32 {
        UInt32(crc32(0, bytes, UInt32(bytes.count)))
    }

    /// One gzip member holding `bytes`.
    static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3] + deflate(bytes) + le32(crc(bytes)) + le32(UInt32(truncatingIfNeeded: bytes.count))
    }

    /// A zip archive of `entries`, each stored or deflated.
    static func zip(_ entries: [(name: String, bytes: [UInt8], deflated: Bool)]) -> [UInt8] {
        var out: [UInt8] = []
        var directory: [UInt8] = []
        for entry in entries {
            let name = Array(entry.name.utf8)
            let data = entry.deflated ? deflate(entry.bytes) : entry.bytes
            let method: UInt16 = entry.deflated ? 8 : 0
            let fields = le16(20) + le16(0) + le16(method) + le16(0) + le16(0x21) + le32(crc(entry.bytes))
                + le32(UInt32(data.count)) + le32(UInt32(entry.bytes.count)) + le16(UInt16(name.count))
            let offset = UInt32(out.count)
            out += le32(0x0403_4B50) + fields + le16(0) + name + data
            directory += le32(0x0201_4B50) + le16(20) + fields + le16(0) + le16(0) + le16(0) + le16(0)
                + le32(0) + le32(offset) + name
        }
        let directoryOffset = UInt32(out.count)
        out += directory
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(entries.count)) + le16(UInt16(entries.count))
            + le32(UInt32(directory.count)) + le32(directoryOffset) + le16(0)
        return out
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { le16(UInt16(v & 0xFFFF)) + le16(UInt16(v >> 16)) }

    /// Writes `bytes` to `name` in `directory`; returns the path.
    static func write(_ bytes: [UInt8], _ name: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("per-market-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

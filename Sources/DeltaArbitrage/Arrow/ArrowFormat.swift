/// The unit of an Arrow `timestamp` column.
public enum ArrowTimestampUnit: String, Sendable, Equatable, CaseIterable {
    case second = "s"
    case millisecond = "ms"
    case microsecond = "us"
    case nanosecond = "ns"

    /// Arrow's `TimeUnit` enum value (Schema.fbs).
    var code: Int16 {
        switch self {
        case .second: return 0
        case .millisecond: return 1
        case .microsecond: return 2
        case .nanosecond: return 3
        }
    }

    init?(code: Int16) {
        switch code {
        case 0: self = .second
        case 1: self = .millisecond
        case 2: self = .microsecond
        case 3: self = .nanosecond
        default: return nil
        }
    }

    /// Nanoseconds per unit.
    var nanoseconds: Int64 {
        switch self {
        case .second: return 1_000_000_000
        case .millisecond: return 1_000_000
        case .microsecond: return 1_000
        case .nanosecond: return 1
        }
    }
}

/// Constants of the Arrow IPC file format (format/File.fbs, Message.fbs,
/// Schema.fbs and docs/format/Columnar.rst of apache/arrow) used by the
/// reader and the writer.
enum ArrowFormat {
    /// "ARROW1": the file starts with it (padded to 8 bytes) and ends with it.
    static let magic: [UInt8] = Array("ARROW1".utf8)
    /// Marks an encapsulated message; the metadata length follows.
    static let continuation: UInt32 = 0xFFFF_FFFF
    /// MetadataVersion.V5.
    static let metadataVersionV5: Int16 = 4

    /// `MessageHeader` union members.
    enum MessageType: UInt8 {
        case schema = 1, dictionaryBatch = 2, recordBatch = 3
    }

    /// `Type` union members the reader names or skips (Schema.fbs).
    enum TypeID: UInt8 {
        case null = 1, int = 2, floatingPoint = 3, binary = 4, utf8 = 5, bool = 6, decimal = 7, date = 8,
             time = 9, timestamp = 10, interval = 11, list = 12, structType = 13, union = 14,
             fixedSizeBinary = 15, fixedSizeList = 16, map = 17, duration = 18, largeBinary = 19,
             largeUtf8 = 20, largeList = 21, runEndEncoded = 22, binaryView = 23, utf8View = 24,
             listView = 25, largeListView = 26

        /// The name pyarrow prints for the type.
        var name: String {
            switch self {
            case .null: return "null"
            case .int: return "integer"
            case .floatingPoint: return "floating point"
            case .binary: return "binary"
            case .utf8: return "string"
            case .bool: return "bool"
            case .decimal: return "decimal"
            case .date: return "date"
            case .time: return "time"
            case .timestamp: return "timestamp"
            case .interval: return "interval"
            case .list: return "list"
            case .structType: return "struct"
            case .union: return "union"
            case .fixedSizeBinary: return "fixed_size_binary"
            case .fixedSizeList: return "fixed_size_list"
            case .map: return "map"
            case .duration: return "duration"
            case .largeBinary: return "large_binary"
            case .largeUtf8: return "large_string"
            case .largeList: return "large_list"
            case .runEndEncoded: return "run_end_encoded"
            case .binaryView: return "binary_view"
            case .utf8View: return "string_view"
            case .listView: return "list_view"
            case .largeListView: return "large_list_view"
            }
        }
    }

    /// `FloatingPoint.precision`.
    static let precisionSingle: Int16 = 1
    static let precisionDouble: Int16 = 2

    /// Rounds `n` up to a multiple of `alignment` (a power of two).
    static func padded(_ n: Int, to alignment: Int) -> Int { (n + alignment - 1) & ~(alignment - 1) }

    /// How to rewrite a file this reader cannot take, for error messages.
    static let rewriteHint = "rewrite it uncompressed with pyarrow: "
        + "pyarrow.feather.write_feather(pyarrow.feather.read_table(SRC), DST, compression='uncompressed')"
}

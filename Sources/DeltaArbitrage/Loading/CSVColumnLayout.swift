/// Where each market-data column sits in a CSV file, read from its header row.
///
/// Header names are matched ignoring ASCII case after trimming spaces, tabs
/// and one pair of surrounding double quotes. Unknown columns are ignored. A
/// known column named twice is an error (which copy would be meant is a
/// guess); unknown names may repeat. A header without the required columns
/// is reported with what was read and, where it shows, why (compressed or
/// binary data, UTF-16, another separator, a comment line).
struct CSVColumnLayout: Sendable {
    /// Slot numbers: 0 = timestamp, 1...4 = prices, 5...8 = quantities.
    static let slotNames = [
        "timestamp",
        "spot_ask_price", "spot_bid_price", "fut_ask_price", "fut_bid_price",
        "spot_ask_quantity", "spot_bid_quantity", "fut_ask_quantity", "fut_bid_quantity",
    ]
    static let timestampSlot = 0
    static let spotAskSlot = 1, spotBidSlot = 2, futAskSlot = 3, futBidSlot = 4
    /// Value slots (prices and quantities) are `slot - 1` in the 8-wide value arrays.
    static let valueSlotCount = 8

    /// For each field of a row (0-based), its slot or -1 when ignored.
    var slotOfField: [Int8]
    /// For each slot, its 1-based field number, or 0 when the column is absent.
    var fieldOfSlot: [Int]
    /// Header names as written (trimmed, and capped like any quoted input), for
    /// error messages about any field.
    var fieldNames: [String]

    var fieldCount: Int { slotOfField.count }

    /// True when the value slot (0...7, prices then quantities) has a column.
    func hasValueSlot(_ valueSlot: Int) -> Bool { fieldOfSlot[valueSlot + 1] != 0 }

    /// Reads the header line (without its line terminator).
    init(header: UnsafeBufferPointer<UInt8>, file: String?) throws(MarketDataError) {
        var names: [String] = []
        var slots: [Int8] = []
        var start = 0
        for i in 0...header.count where i == header.count || header[i] == UInt8(ascii: ",") {
            let name = Self.cleanName(UnsafeBufferPointer(rebasing: header[start..<i]))
            names.append(CSVInputText.excerpt(name))
            slots.append(Int8(Self.slotNames.firstIndex(of: Self.asciiLowercased(name)) ?? -1))
            start = i + 1
        }
        fieldNames = names
        slotOfField = [Int8](repeating: -1, count: names.count)
        fieldOfSlot = [Int](repeating: 0, count: Self.slotNames.count)
        for (index, slot) in slots.enumerated() where slot >= 0 {
            if fieldOfSlot[Int(slot)] != 0 {
                throw MarketDataError(kind: .duplicateColumn, file: file, line: 1, column: names[index], field: index + 1,
                                      detail: "named again (first at field \(fieldOfSlot[Int(slot)]))")
            }
            fieldOfSlot[Int(slot)] = index + 1
            slotOfField[index] = slot
        }
        for slot in 0...4 where fieldOfSlot[slot] == 0 {
            let read = CSVInputText.excerpt(header)
            if let reason = CSVInputText.notTextReason(header) ?? CSVInputText.headerReason(header) {
                throw MarketDataError(kind: .unrecognizedHeader, file: file, line: 1,
                                      detail: "not a CSV header: \(reason). Line 1 reads '\(read)'")
            }
            throw MarketDataError(kind: .missingColumn, file: file, line: 1, column: Self.slotNames[slot],
                                  detail: "required column missing from the header '\(read)'")
        }
    }

    private static func cleanName(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var lo = 0, hi = bytes.count
        while lo < hi && (bytes[lo] == 0x20 || bytes[lo] == 0x09) { lo += 1 }
        while hi > lo && (bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09) { hi -= 1 }
        if hi - lo >= 2 && bytes[lo] == 0x22 && bytes[hi - 1] == 0x22 { lo += 1; hi -= 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[lo..<hi]), as: UTF8.self)
    }

    /// `name` with A–Z lowered (the known names are ASCII; nothing else needs folding).
    private static func asciiLowercased(_ name: String) -> String {
        String(decoding: name.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}

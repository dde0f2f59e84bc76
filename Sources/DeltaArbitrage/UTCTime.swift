/// Conversions between nanoseconds since the Unix epoch and UTC calendar
/// fields, without Foundation's date formatters (which are slow and
/// locale-dependent). Proleptic Gregorian calendar, days-from-civil algorithm.
public enum UTCTime {
    /// Days since 1970-01-01 of a calendar date.
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Calendar date of a day count since 1970-01-01.
    public static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// ISO-8601 UTC text of a timestamp: `2025-10-12T06:17:00.123Z`, with
    /// nine fractional digits when the time is not a whole millisecond.
    public static func iso8601(nanoseconds: Int64) -> String {
        let perDay: Int64 = 86_400_000_000_000
        var days = nanoseconds / perDay
        var rest = nanoseconds % perDay
        if rest < 0 { rest += perDay; days -= 1 }
        let (year, month, day) = civilFromDays(Int(days))
        let seconds = rest / 1_000_000_000
        let fraction = rest % 1_000_000_000
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let date = "\(pad(Int64(year), 4))-\(pad(Int64(month), 2))-\(pad(Int64(day), 2))"
        let time = "\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))"
        let fractional = fraction % 1_000_000 == 0 ? pad(fraction / 1_000_000, 3) : pad(fraction, 9)
        return "\(date)T\(time).\(fractional)Z"
    }

    /// Nanoseconds since the Unix epoch of `text`, in any form the CSV loader
    /// accepts (ISO-8601, with or without offset, or an epoch number); nil
    /// when it does not parse.
    public static func nanoseconds(parsing text: String) -> Int64? { TimestampParser.parse(text) }
}

import Foundation

/// A parsed JSON value, with booleans kept apart from numbers (a schema's
/// `"integer"` must not accept `true`).
enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    /// Parses one JSON document.
    static func parse(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }
    var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
}

/// The subset of JSON Schema (draft 2020-12) that docs/schema uses, enforced
/// strictly: `type` (a name or a list, `integer` = a number with no fraction),
/// `properties`, `required`, `additionalProperties` (false or a schema),
/// `items`, `minItems`, `maxItems`, `enum`, `const`, `minimum`, `maximum`,
/// `anyOf`, `$ref` (`#/…` in the same file or `file.schema.json#/…` beside
/// it) and `format: date-time`, which accepts only the ISO-8601 UTC text the CLI writes
/// (`YYYY-MM-DDTHH:MM:SS.mmmZ` or nine fractional digits). Annotations
/// (`$schema`, `$id`, `$defs`, `title`, `description`) are ignored; any other
/// keyword is reported as an error, so a schema cannot rely on a rule that is
/// not checked.
struct JSONSchemaValidator: Sendable {
    /// Schema documents by file name (`backtest.schema.json`).
    let documents: [String: JSONValue]

    init(documents: [String: JSONValue]) {
        self.documents = documents
    }

    /// Loads every `*.schema.json` in `directory`.
    init(directory: URL) throws {
        var documents: [String: JSONValue] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".schema.json") {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            documents[name] = try JSONValue.parse(text)
        }
        self.documents = documents
    }

    /// docs/schema of this checkout, found from this source file's path.
    static let repositorySchemaDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/schema")

    /// Every violation by `instance` of the schema `reference` names (`backtest.schema.json`,
    /// or a part of one: `common.schema.json#/$defs/trade`), each as `path: problem`; empty when valid.
    func errors(of instance: JSONValue, against reference: String) -> [String] {
        guard let (schema, file) = resolve(reference, from: reference) else { return ["no schema \(reference)"] }
        var errors: [String] = []
        check(instance, schema, file: file, path: "$", errors: &errors)
        return errors
    }

    private static let annotations: Set<String> = ["$schema", "$id", "$defs", "title", "description"]
    private static let assertions: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum", "const", "minimum", "maximum",
        "anyOf", "$ref", "format",
    ]

    private func check(_ value: JSONValue, _ schema: JSONValue, file: String, path: String, errors: inout [String]) {
        guard let s = schema.objectValue else {
            errors.append("\(path): schema in \(file) is not an object")
            return
        }
        for key in s.keys where !Self.annotations.contains(key) && !Self.assertions.contains(key) {
            errors.append("\(path): unsupported schema keyword '\(key)' in \(file)")
        }
        if let ref = s["$ref"]?.stringValue {
            if let (target, targetFile) = resolve(ref, from: file) {
                check(value, target, file: targetFile, path: path, errors: &errors)
            } else {
                errors.append("\(path): unresolvable $ref '\(ref)' in \(file)")
            }
        }
        if let type = s["type"] {
            let names = type.arrayValue?.compactMap(\.stringValue) ?? type.stringValue.map { [$0] } ?? []
            if !names.contains(where: { Self.matches(value, type: $0) }) {
                errors.append("\(path): expected \(names.joined(separator: " or ")), got \(Self.describe(value))")
                return
            }
        }
        if let options = s["enum"]?.arrayValue, !options.contains(value) {
            errors.append("\(path): \(Self.describe(value)) is not one of the allowed values")
        }
        if let constant = s["const"], constant != value {
            errors.append("\(path): \(Self.describe(value)) is not the required constant")
        }
        if case .number(let n) = value {
            if case .number(let low)? = s["minimum"], n < low { errors.append("\(path): \(n) is below the minimum \(low)") }
            if case .number(let high)? = s["maximum"], n > high { errors.append("\(path): \(n) is above the maximum \(high)") }
        }
        if s["format"]?.stringValue == "date-time", case .string(let text) = value, !Self.isUTCTime(text) {
            errors.append("\(path): '\(text)' is not ISO-8601 UTC text like 2025-01-01T00:00:00.000Z")
        }
        if let alternatives = s["anyOf"]?.arrayValue {
            var all: [[String]] = []
            for alternative in alternatives {
                var e: [String] = []
                check(value, alternative, file: file, path: path, errors: &e)
                if e.isEmpty { all = []; break }
                all.append(e)
            }
            if !all.isEmpty {
                errors.append("\(path): matches none of anyOf: " + all.map { $0.joined(separator: "; ") }.joined(separator: " | "))
            }
        }
        if case .object(let object) = value {
            let properties = s["properties"]?.objectValue ?? [:]
            for name in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
                errors.append("\(path): missing required '\(name)'")
            }
            for (name, member) in object.sorted(by: { $0.key < $1.key }) {
                if let p = properties[name] {
                    check(member, p, file: file, path: "\(path).\(name)", errors: &errors)
                } else if let extra = s["additionalProperties"] {
                    if extra == .bool(false) {
                        errors.append("\(path): undocumented property '\(name)'")
                    } else if extra != .bool(true) {
                        check(member, extra, file: file, path: "\(path).\(name)", errors: &errors)
                    }
                }
            }
        }
        if case .array(let items) = value {
            if case .number(let low)? = s["minItems"], Double(items.count) < low {
                errors.append("\(path): \(items.count) items, fewer than minItems \(Int(low))")
            }
            if case .number(let high)? = s["maxItems"], Double(items.count) > high {
                errors.append("\(path): \(items.count) items, more than maxItems \(Int(high))")
            }
        }
        if case .array(let items) = value, let itemSchema = s["items"] {
            for (i, item) in items.enumerated() {
                check(item, itemSchema, file: file, path: "\(path)[\(i)]", errors: &errors)
            }
        }
    }

    /// The schema a `$ref` names, and the file it lives in.
    func resolve(_ ref: String, from file: String) -> (JSONValue, String)? {
        let parts = ref.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let targetFile = parts[0].isEmpty ? file : String(parts[0])
        guard var node = documents[targetFile] else { return nil }
        let pointer = parts.count > 1 ? String(parts[1]) : ""
        for token in pointer.split(separator: "/") {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard let next = node[key] else { return nil }
            node = next
        }
        return (node, targetFile)
    }

    static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array),
             ("object", .object):
            return true
        case ("integer", .number(let n)):
            return n.rounded() == n
        default:
            return false
        }
    }

    /// The CLI's time text: `YYYY-MM-DDTHH:MM:SS`, a fraction of 3 or 9 digits, `Z`; calendar fields in range.
    static func isUTCTime(_ text: String) -> Bool {
        guard let m = text.wholeMatch(of: /(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{3}|\.\d{9})Z/),
              let month = Int(m.2), let day = Int(m.3), let hour = Int(m.4), let minute = Int(m.5), let second = Int(m.6)
        else { return false }
        return (1...12).contains(month) && (1...31).contains(day) && hour < 24 && minute < 60 && second < 60
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .number(let n): "\(n)"
        case .string(let s): "'\(s.prefix(60))'"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

import Foundation
import Yams

/// A batch manifest's text, JSON or YAML, read into the values
/// `JSONSerialization` gives (`[String: Any]`, `[Any]`, `String`, `NSNumber`,
/// the `NSNumber` of a JSON `true`/`false`, `NSNull`), so that one code path
/// checks both forms and its messages name the same keys.
///
/// The form is told by the content, not the file name: a manifest whose
/// first character after blanks is `{` is JSON, anything else YAML.
enum ManifestText {
    /// The parsed document; a `ManifestTextError` names where the syntax breaks.
    static func parse(_ bytes: Data) throws(ManifestTextError) -> Any {
        isJSON(bytes) ? try parseJSON(bytes) : try parseYAML(bytes)
    }

    /// True when the first byte after blanks (spaces, tabs, line ends, a
    /// UTF-8 byte-order mark) is `{`.
    static func isJSON(_ bytes: Data) -> Bool {
        let blanks: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF]
        return bytes.first { !blanks.contains($0) } == UInt8(ascii: "{")
    }

    static func parseJSON(_ bytes: Data) throws(ManifestTextError) -> Any {
        do {
            return try JSONSerialization.jsonObject(with: bytes)
        } catch {
            // The parser's own words say where the syntax breaks.
            throw ManifestTextError("not valid JSON (\(error))")
        }
    }

    /// A JSON `true` or `false` as `JSONSerialization` gives it. A number 0 or
    /// 1 is no Boolean, though `is Bool` says it is on Linux.
    static func boolean(_ raw: Any?) -> Bool? {
        guard let number = raw as? NSNumber, type(of: number) == booleanType else { return nil }
        return number.boolValue
    }

    /// A JSON number (not `true`/`false`).
    static func number(_ raw: Any?) -> NSNumber? {
        guard let number = raw as? NSNumber, type(of: number) != booleanType else { return nil }
        return number
    }

    private static let booleanType = type(of: NSNumber(value: true))

    // MARK: YAML

    /// Plain scalars are typed by YAML 1.2's core schema (as JSON types
    /// them), not by YAML 1.1's, which Yams follows by default: `yes`, `no`,
    /// `on`, `off` stay text, as do dates (`from: 2025-01-01`) and
    /// sexagesimals (`1:30`); `true`/`false`, `null`/`~`, decimal, `0x`/`0o`
    /// integers and decimal floats (with `.inf`, `.nan`) are what JSON would give.
    static func coreSchema() throws -> Resolver {
        try Resolver.basic
            .appending(.null, "^(?:~|null|Null|NULL|)$")
            .appending(.bool, "^(?:true|True|TRUE|false|False|FALSE)$")
            .appending(.int, "^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
            .appending(.float, #"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"#)
    }

    static func parseYAML(_ bytes: Data) throws(ManifestTextError) -> Any {
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw ManifestTextError("not valid YAML (the text is not UTF-8)")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, coreSchema())
        } catch let error as YamlError {
            throw ManifestTextError("not valid YAML (\(describe(error)))")
        } catch {
            throw ManifestTextError("not valid YAML (\(error))")
        }
        guard let root else { throw ManifestTextError("empty (a manifest is a mapping: datasets: [...], ...)") }
        return try value(root)
    }

    /// libyaml's problem with its line and column (from 1).
    static func describe(_ error: YamlError) -> String {
        func at(_ mark: Mark) -> String { "line \(mark.line), column \(mark.column)" }
        func context(_ context: YamlError.Context?) -> String {
            context.map { " (\($0.text) at \(at($0.mark)))" } ?? ""
        }
        switch error {
        case let .scanner(c, problem, mark, _), let .parser(c, problem, mark, _), let .composer(c, problem, mark, _):
            return "\(at(mark)): \(problem)\(context(c))"
        case let .reader(problem, offset, _, _):
            return offset.map { "character \($0 + 1): \(problem)" } ?? problem
        case let .duplicatedKeysInMapping(duplicates, context):
            return "\(at(context.mark)): the key '\(duplicates.joined(separator: "', '"))' appears twice in one mapping"
        default:
            return "\(error)"
        }
    }

    /// The node as JSONSerialization's values. Aliases arrive resolved (a
    /// copy of the anchored node, which is what YAML means by them).
    static func value(_ node: Node) throws(ManifestTextError) -> Any {
        func at(_ mark: Mark?) -> String { mark.map { "line \($0.line), column \($0.column)" } ?? "the document" }
        switch node {
        case let .scalar(scalar):
            return try value(scalar)
        case let .sequence(sequence):
            var list: [Any] = []
            for element in sequence { list.append(try value(element)) }
            return list
        case let .mapping(mapping):
            var object: [String: Any] = [:]
            for (key, element) in mapping {
                guard case let .scalar(name) = key else {
                    throw ManifestTextError("not a manifest: at \(at(key.mark)), a key is not plain text")
                }
                if name.style == .plain && name.string == "<<" {
                    throw ManifestTextError("not a manifest: at \(at(key.mark)), a YAML merge key ('<<') — write the keys out")
                }
                object[name.string] = try value(element)
            }
            return object
        case let .alias(alias):
            throw ManifestTextError("not a manifest: at \(at(alias.mark)), an alias '*\(alias.anchor)' that names no anchor")
        }
    }

    static func value(_ scalar: Node.Scalar) throws(ManifestTextError) -> Any {
        let text = scalar.string
        func refuse(_ what: String) -> ManifestTextError {
            let place = scalar.mark.map { "line \($0.line), column \($0.column)" } ?? "the document"
            return ManifestTextError("not a manifest: at \(place), '\(text)' \(what)")
        }
        // Node.tag resolves a plain scalar's implicit tag by the core schema.
        let tag = Tag.Name(rawValue: Node.scalar(scalar).tag.description)
        switch tag {
        case .str:
            return text
        case .null:
            guard ["", "~", "null", "Null", "NULL"].contains(text) else { throw refuse("is not null") }
            return NSNull()
        case .bool:
            switch text {
            case "true", "True", "TRUE": return NSNumber(value: true)
            case "false", "False", "FALSE": return NSNumber(value: false)
            default: throw refuse("is not true or false")
            }
        case .int:
            let body = text.hasPrefix("+") ? String(text.dropFirst()) : text
            if body.hasPrefix("0x"), let n = Int(body.dropFirst(2), radix: 16) { return NSNumber(value: n) }
            if body.hasPrefix("0o"), let n = Int(body.dropFirst(2), radix: 8) { return NSNumber(value: n) }
            if let n = Int(body) { return NSNumber(value: n) }
            // Past Int's range, as JSONSerialization does: a Double.
            if let x = Double(body), x.isFinite { return NSNumber(value: x) }
            throw refuse("is not an integer")
        case .float:
            switch text.lowercased() {
            case ".inf", "+.inf": return NSNumber(value: Double.infinity)
            case "-.inf": return NSNumber(value: -Double.infinity)
            case ".nan": return NSNumber(value: Double.nan)
            default:
                guard let x = Double(text.hasPrefix("+") ? String(text.dropFirst()) : text) else { throw refuse("is not a number") }
                return NSNumber(value: x)
            }
        default:
            throw refuse("has the tag '\(tag.rawValue)', which a manifest does not take "
                + "(write text, a number, true/false or null)")
        }
    }
}

/// A manifest that does not parse: what is wrong and where.
struct ManifestTextError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

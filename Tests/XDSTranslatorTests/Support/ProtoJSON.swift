import Foundation
import SwiftProtobuf
import XDSTranslator

/// Renders translated resources as the proto3 JSON that golden files hold: snake_case field names (as in
/// Envoy's docs and config dumps), fields in proto order, two-space indentation, one array per type.
enum ProtoJSON {
    static func render(_ resources: [TranslatedMessage]) throws -> String {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        options.useDeterministicOrdering = true
        let items = try resources.map { try $0.message.jsonString(options: options) }
        return prettyPrinted("[" + items.joined(separator: ",") + "]") + "\n"
    }

    /// Re-indents compact JSON without reordering anything. Strings (with escapes) are copied untouched.
    static func prettyPrinted(_ compact: String) -> String {
        var output = ""
        var depth = 0
        var inString = false
        var escaped = false
        let characters = Array(compact)
        func newline() { output += "\n" + String(repeating: "  ", count: depth) }
        for (index, character) in characters.enumerated() {
            if inString {
                output.append(character)
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inString = false
                }
                continue
            }
            switch character {
            case "\"":
                inString = true
                output.append(character)
            case "{", "[":
                output.append(character)
                let next = index + 1 < characters.count ? characters[index + 1] : " "
                if next == "}" || next == "]" { continue }
                depth += 1
                newline()
            case "}", "]":
                let previous = index > 0 ? characters[index - 1] : " "
                if previous != "{" && previous != "[" {
                    depth -= 1
                    newline()
                }
                output.append(character)
            case ",":
                output.append(character)
                newline()
            case ":":
                output += ": "
            case " ", "\n", "\t", "\r":
                continue
            default:
                output.append(character)
            }
        }
        return output
    }
}

import EnvoyAPI
import Foundation
import SwiftProtobuf

/// Decodes an EnvoyFilter `patch.value` into the Envoy message its `applyTo` names, as istiod's
/// `BuildXDSObjectFromStruct` does, with two differences that keep every field:
///
/// - A `google.protobuf.Any` (`typed_config` and the like) of a type meshd's Envoy API does not have becomes a
///   `udpa.type.v1.TypedStruct` carrying the same JSON, which Envoy converts into the real type (istiod refuses such
///   a value unless its binary was built with the type). For ADD, INSERT and REPLACE this also holds for a type
///   meshd has when the value uses a field meshd's subset lacks: Envoy reads the whole value.
/// - Any other field meshd does not know is refused with its path (istiod drops unknown fields with a warning).
enum EnvoyPatchValueDecoder {
    static let typedStructURL = "type.googleapis.com/udpa.type.v1.TypedStruct"
    static let typedStructNames: Set<String> = ["xds.type.v3.TypedStruct", "udpa.type.v1.TypedStruct"]

    /// The Envoy message type a patch of `applyTo` holds.
    static func messageType(for applyTo: EnvoyConfigPatch.ApplyTo) -> any SwiftProtobuf.Message.Type {
        switch applyTo {
        case .listener: Envoy_Config_Listener_V3_Listener.self
        case .filterChain: Envoy_Config_Listener_V3_FilterChain.self
        case .networkFilter: Envoy_Config_Listener_V3_Filter.self
        case .httpFilter: Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter.self
        case .routeConfiguration: Envoy_Config_Route_V3_RouteConfiguration.self
        case .virtualHost: Envoy_Config_Route_V3_VirtualHost.self
        case .httpRoute: Envoy_Config_Route_V3_Route.self
        case .cluster: Envoy_Config_Cluster_V3_Cluster.self
        case .extensionConfig: Envoy_Config_Core_V3_TypedExtensionConfig.self
        case .listenerFilter: Envoy_Config_Listener_V3_ListenerFilter.self
        case .bootstrap: Google_Protobuf_Struct.self
        }
    }

    /// The value of `field` as the type of `applyTo`; nil, with errors at the field paths, when it does not fit.
    static func decode(
        _ field: YAMLField, applyTo: EnvoyConfigPatch.ApplyTo, operation: EnvoyConfigPatch.Operation
    ) -> EnvoyPatchValue? {
        _ = EnvoyTypeRegistry.registered
        guard case .mapping = field.node else {
            field.context.error(field.path, "expected a mapping, found \(field.node.shapeName)", node: field.node)
            return nil
        }
        guard let tree = JSONTree.from(field.node, path: field.path, context: field.context) else { return nil }
        let replacesWhole: Set<EnvoyConfigPatch.Operation> = [
            .add, .insertBefore, .insertAfter, .insertFirst, .replace,
        ]
        var problems: [(path: String, reason: String)] = []
        // A bootstrap is merged as JSON (`meshd bootstrap --envoy-filters`): its value is kept exactly as written.
        let converted =
            applyTo == .bootstrap
            ? tree
            : carryUnknownTypes(
                tree, path: field.path, fallBackOnUnknownFields: replacesWhole.contains(operation),
                problems: &problems)
        if !problems.isEmpty {
            for problem in problems { field.context.error(problem.path, problem.reason) }
            return nil
        }
        let type = messageType(for: applyTo)
        let json = converted.text
        do {
            let message = try decodeChecked(type, json: json)
            return EnvoyPatchValue(message: message, json: json)
        } catch let error as JSONDecodingError {
            if case .unknownField(let name) = error {
                let path = converted.path(ofKey: name, base: field.path) ?? field.path
                field.context.error(
                    path,
                    "unknown field \"\(name)\" in this \(type.protoMessageName) value: it is misspelt, or meshd's "
                        + "Envoy API (Protos/) does not have it yet; nothing of the patch is applied")
            } else {
                field.context.error(
                    field.path, "does not fit \(type.protoMessageName): \(describe(error))", node: field.node)
            }
            return nil
        } catch {
            field.context.error(field.path, "does not fit \(type.protoMessageName): \(error)", node: field.node)
            return nil
        }
    }

    /// `json` decoded as `type` and encoded once, so that a failure inside an `Any` (decoded lazily) shows here.
    static func decodeChecked(_ type: any SwiftProtobuf.Message.Type, json: String) throws -> any SwiftProtobuf.Message
    {
        func decode<M: SwiftProtobuf.Message>(_: M.Type) throws -> M {
            var options = JSONDecodingOptions()
            options.ignoreUnknownFields = false
            let message = try M(jsonString: json, options: options)
            let _: [UInt8] = try message.serializedBytes()
            return message
        }
        return try decode(type)
    }

    /// `tree` with every `Any` object of a type meshd does not have turned into a TypedStruct (see the type's
    /// comment); with `fallBackOnUnknownFields`, also those of a type meshd has whose fields it does not all know.
    /// Without it, an unknown field inside such an `Any` is added to `problems` with its path.
    static func carryUnknownTypes(
        _ tree: JSONTree, path: String, fallBackOnUnknownFields: Bool, problems: inout [(path: String, reason: String)]
    ) -> JSONTree {
        switch tree {
        case .array(let items):
            return .array(
                items.enumerated().map { index, item in
                    carryUnknownTypes(
                        item, path: path.appendingIndex(index), fallBackOnUnknownFields: fallBackOnUnknownFields,
                        problems: &problems)
                })
        case .object(let members):
            func children() -> JSONTree {
                .object(
                    members.map { member in
                        guard member.key != "@type" else { return member }
                        return .init(
                            key: member.key,
                            value: carryUnknownTypes(
                                member.value, path: path.appendingField(member.key),
                                fallBackOnUnknownFields: fallBackOnUnknownFields, problems: &problems))
                    })
            }
            guard case .string(let typeURL)? = tree["@type"] else { return children() }
            let name = typeURL.split(separator: "/").last.map(String.init) ?? typeURL
            // An explicit TypedStruct, or a well-known type: Envoy (or protobuf JSON) reads it as written.
            if typedStructNames.contains(name) || name.hasPrefix("google.protobuf.") { return tree }
            guard let type = Google_Protobuf_Any.messageType(forTypeURL: typeURL) else {
                return typedStruct(typeURL: typeURL, of: tree)
            }
            var innerProblems: [(path: String, reason: String)] = []
            let inner = JSONTree.object(
                members.map { member in
                    guard member.key != "@type" else { return member }
                    return .init(
                        key: member.key,
                        value: carryUnknownTypes(
                            member.value, path: path.appendingField(member.key),
                            fallBackOnUnknownFields: fallBackOnUnknownFields, problems: &innerProblems))
                })
            do {
                _ = try decodeChecked(type, json: inner.removing("@type").text)
            } catch JSONDecodingError.unknownField(let field) {
                if fallBackOnUnknownFields { return typedStruct(typeURL: typeURL, of: tree) }
                innerProblems.append(
                    (
                        inner.path(ofKey: field, base: path) ?? path,
                        "unknown field \"\(field)\" in this \(type.protoMessageName): it is misspelt, or meshd's "
                            + "Envoy API (Protos/) does not have it yet (only ADD, INSERT and REPLACE values can carry "
                            + "such fields, as a TypedStruct that Envoy reads itself)"
                    ))
            } catch {}
            problems.append(contentsOf: innerProblems)
            return inner
        default:
            return tree
        }
    }

    /// `{"@type": TypedStruct, "type_url": <typeURL>, "value": <object without @type>}`.
    private static func typedStruct(typeURL: String, of object: JSONTree) -> JSONTree {
        .object([
            .init(key: "@type", value: .string(typedStructURL)),
            .init(key: "type_url", value: .string(typeURL)),
            .init(key: "value", value: object.removing("@type")),
        ])
    }

    private static func describe(_ error: JSONDecodingError) -> String {
        switch error {
        case .malformedNumber: "a number is malformed"
        case .numberRange: "a number is out of range for its field"
        case .malformedBool: "a boolean field holds something other than true or false"
        case .malformedString: "a string field holds something other than a string"
        case .schemaMismatch:
            "a value has the wrong shape for its field (a list, object or scalar where another is expected)"
        case .unrecognizedEnumValue: "an enum field holds a name that is not one of its values"
        case .malformedDuration: "a duration is malformed (write it as \"10s\" or \"0.5s\")"
        case .malformedTimestamp: "a timestamp is malformed"
        case .conflictingOneOf: "two fields of one oneof are both set"
        case .illegalNull: "null where a value is required"
        case .failure: "a value has the wrong shape for its field (an object where a list is expected, or the like)"
        default: "\(error)"
        }
    }
}

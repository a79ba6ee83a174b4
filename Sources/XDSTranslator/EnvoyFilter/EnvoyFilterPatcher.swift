import EnvoyAPI
import Foundation
import MeshModel
import SwiftProtobuf

/// Applies EnvoyFilter patches to generated resources, as istiod's `envoyfilter` package does (see
/// `Docs/envoyfilter.md` for what is applied where). Pure: patch values are never modified, only copied in.
enum EnvoyFilterPatcher {
    /// Where a generated object sits, which `match.context` selects.
    enum PatchContext: Sendable {
        case sidecarInbound, sidecarOutbound, gateway
    }

    /// The filters whose patches changed one resource: added to its sources, so a NACK of it names them.
    struct Touched {
        var filters: Set<ResourceKey> = []
        mutating func add(_ patch: EnvoyFilterPatches.Applied) { filters.insert(patch.filter) }
    }

    static func contextMatches(_ patch: EnvoyFilterPatches.Applied, _ context: PatchContext) -> Bool {
        switch patch.patch.match.context {
        case .any: true
        case .sidecarInbound: context == .sidecarInbound
        case .sidecarOutbound: context == .sidecarOutbound
        case .gateway: context == .gateway
        case .waypoint: false
        }
    }

    /// Whether an ADD of a new top-level object (listener, cluster) with this patch's context runs for a proxy of
    /// `kind`: without a context only on the outbound side and on gateways, as in istiod.
    static func addApplies(_ patch: EnvoyFilterPatches.Applied, kind: Proxy.Kind) -> Bool {
        switch patch.patch.match.context {
        case .any: true
        case .sidecarInbound, .sidecarOutbound: kind != .router
        case .gateway: kind == .router
        case .waypoint: false
        }
    }

    /// `patch` merged into `target` with protobuf merge semantics (MERGE: set fields replace, lists append, messages
    /// merge) or, for MERGE_AND_REPLACE_LIST, with lists in the patch replacing the target's.
    static func merge<M: SwiftProtobuf.Message>(
        _ patch: M, into target: inout M, operation: EnvoyConfigPatch.Operation
    ) {
        if operation == .mergeAndReplaceList, let merged = mergeReplacingLists(patch, into: target) {
            target = merged
            return
        }
        do {
            let bytes: [UInt8] = try patch.serializedBytes(partial: true)
            try target.merge(serializedBytes: bytes, partial: true)
        } catch {
            // Both are valid messages of one type, so re-reading the patch's own bytes cannot fail.
            assertionFailure("merging \(M.protoMessageName): \(error)")
        }
    }

    /// Two `Any`s merged as istiod merges a filter's typed config: of the same type, the patch's message merged into
    /// the base's (for protobuf, appending the encodings is exactly that merge); of another type, the patch's.
    static func mergeAny(_ patch: Google_Protobuf_Any, into base: Google_Protobuf_Any) -> Google_Protobuf_Any {
        guard patch.typeURL == base.typeURL else { return patch }
        var merged = base
        merged.value = base.value + patch.value
        return merged
    }

    /// istiod's special case for clusters and filter chains: a patch whose transport socket has the name of the
    /// target's merges its typed config into the target's; the returned socket then replaces the target's in the
    /// merge that follows. Another name: the patch's socket as it is.
    static func mergedSocket(
        _ patch: Envoy_Config_Core_V3_TransportSocket, into base: Envoy_Config_Core_V3_TransportSocket
    ) -> Envoy_Config_Core_V3_TransportSocket {
        guard patch.name == base.name, case .typedConfig(let patchConfig)? = patch.configType,
            case .typedConfig(let baseConfig)? = base.configType
        else { return patch }
        var merged = patch
        merged.typedConfig = mergeAny(patchConfig, into: baseConfig)
        return merged
    }

    /// MERGE_AND_REPLACE_LIST through canonical JSON; nil when either side does not encode or the merge does not
    /// decode (a oneof set differently on both sides), and the caller merges as MERGE does.
    private static func mergeReplacingLists<M: SwiftProtobuf.Message>(_ patch: M, into target: M) -> M? {
        guard let patchJSON = try? patch.jsonString(), let targetJSON = try? target.jsonString(),
            let patchTree = try? JSONSerialization.jsonObject(with: Data(patchJSON.utf8)),
            let targetTree = try? JSONSerialization.jsonObject(with: Data(targetJSON.utf8))
        else { return nil }
        let merged = mergeJSON(patchTree, into: targetTree)
        guard let data = try? JSONSerialization.data(withJSONObject: merged),
            let text = String(data: data, encoding: .utf8)
        else { return nil }
        return try? M(jsonString: text)
    }

    private static func mergeJSON(_ patch: Any, into target: Any) -> Any {
        guard let patchObject = patch as? [String: Any], var targetObject = target as? [String: Any] else {
            return patch
        }
        if let patchType = patchObject["@type"] as? String, let targetType = targetObject["@type"] as? String,
            patchType != targetType
        {
            return patch
        }
        for (key, value) in patchObject {
            targetObject[key] = targetObject[key].map { mergeJSON(value, into: $0) } ?? value
        }
        return targetObject
    }

    /// One list operation (ADD, INSERT_*, REPLACE, REMOVE) on `list`; `matches` tells the anchor the patch's match
    /// names, `hasAnchor` whether it names one at all. True when the list changed.
    static func applyListOperation<T>(
        _ operation: EnvoyConfigPatch.Operation, to list: inout [T], value: T?, hasAnchor: Bool,
        matches: (T) -> Bool
    ) -> Bool {
        switch operation {
        case .add:
            guard let value else { return false }
            list.append(value)
            return true
        case .insertFirst:
            guard let value else { return false }
            list.insert(value, at: 0)
            return true
        case .insertAfter:
            guard let value else { return false }
            guard hasAnchor else {
                list.append(value)
                return true
            }
            guard let index = list.firstIndex(where: matches) else { return false }
            list.insert(value, at: index + 1)
            return true
        case .insertBefore:
            guard let value else { return false }
            guard hasAnchor else {
                list.insert(value, at: 0)
                return true
            }
            guard let index = list.firstIndex(where: matches) else { return false }
            list.insert(value, at: index)
            return true
        case .replace:
            guard let value, hasAnchor, let index = list.firstIndex(where: matches) else { return false }
            list[index] = value
            return true
        case .remove:
            guard hasAnchor else { return false }
            let before = list.count
            list.removeAll(where: matches)
            return list.count != before
        case .merge, .mergeAndReplaceList:
            return false
        }
    }

    /// `messages` with their sources extended by the filters that changed them.
    static func message(
        _ message: any SwiftProtobuf.Message, name: String, sources: [ResourceKey], touched: Touched
    ) -> TranslatedMessage {
        TranslatedMessage(name: name, message: message, sources: sources + touched.filters.sorted())
    }
}

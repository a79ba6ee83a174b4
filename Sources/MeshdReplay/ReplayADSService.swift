public import EnvoyAPI
public import GRPCCore
import GRPCProtobuf

/// The floor for meshd's push path: an ADS service that answers each proxy's first request of every type with
/// the recorded response bytes, adding only a fresh nonce. No translation, no caching decisions, no
/// serialisation: what is left is the gRPC transport, which is the same one meshd uses.
///
/// Thread-safe: the recording is immutable.
public struct ReplayADSService: RegistrableRPCService {
    let recording: ReplayRecording

    public init(recording: ReplayRecording) {
        self.recording = recording
    }

    public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        let recording = recording
        router.registerHandler(
            forMethod: Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Method.StreamAggregatedResources
                .descriptor,
            deserializer: ProtobufDeserializer<Envoy_Service_Discovery_V3_DiscoveryRequest>(),
            serializer: RawBytesSerializer(),
            handler: { request, _ in
                StreamingServerResponse { writer in
                    var node: [String: String]?
                    var nonce = 0
                    for try await message in request.messages {
                        if node == nil { node = recording.index[message.node.id] ?? [:] }
                        // Requests with a nonce are ACKs (or NACKs): the replay has nothing new to send.
                        guard message.responseNonce.isEmpty, let key = node?[message.typeURL],
                            let blob = recording.blobs[key]
                        else { continue }
                        nonce += 1
                        try await writer.write(Self.appendingNonce(String(nonce), to: blob))
                    }
                    return [:]
                }
            })
    }

    /// Protobuf fields may be appended: field 5 (`nonce`, length-delimited) goes after the recorded bytes.
    static func appendingNonce(_ nonce: String, to blob: [UInt8]) -> [UInt8] {
        let utf8 = Array(nonce.utf8)
        var bytes = blob
        bytes.reserveCapacity(blob.count + utf8.count + 2)
        bytes.append(0x2A)
        bytes.append(UInt8(utf8.count))  // nonces are short decimal strings (< 128 bytes)
        bytes.append(contentsOf: utf8)
        return bytes
    }
}

/// Passes already-serialised message bytes through untouched.
struct RawBytesSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes {
        Bytes(message)
    }
}

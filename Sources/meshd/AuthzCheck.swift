import ArgumentParser
import AuthzSimulator
import Discovery
import Foundation
import Logging
import MeshModel
import Registry
import XDSTranslator

/// `meshd authz check`: what the destination proxy would do with a request. It generates that proxy's listeners with
/// the translator, as meshd pushes them, and evaluates their jwt_authn, RBAC and ext_authz filters in order; the
/// policy YAML is never read a second way.
struct AuthzCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Simulate a request (or a YAML table of them) against the authorization config meshd generates.",
        discussion: """
            The destination's listeners are generated from --config-dir exactly as meshd serve would push them, and the \
            request runs through their jwt_authn, RBAC (enforced and dry-run) and ext_authz filters in order. The answer \
            is ALLOW, DENY (403, or a closed TCP connection), DENY (401) from jwt_authn, or CUSTOM (the ext_authz \
            server decides), with the policy and rule that decided. jwksUri key sets are fetched only with --fetch-jwks; \
            otherwise those providers reject every token, as a proxy would before meshd has fetched them. \
            Exit status 1 when an `expect` of a requests file is not met or the input is wrong.
            """)

    @Option(name: .long, help: "The configuration directory (as for meshd serve).")
    var configDir: String

    @Option(
        name: .long,
        help: "Istio mesh config YAML (as for meshd serve): root namespace, trust domain, extension providers.")
    var meshConfig: String?

    @Option(
        name: .long,
        help: "A YAML file of requests (requests: [{name, from, to, method, path, headers, token, claims, expect}]).")
    var requests: String?

    @Option(name: .long, help: "Source workload, namespace/name.") var fromWorkload: String?
    @Option(name: .long, help: "Source mTLS identity (spiffe://td/ns/N/sa/S or td/ns/N/sa/S).") var principal: String?
    @Option(name: .long, help: "Source namespace (identity ns/<N>/sa/default unless --service-account).")
    var sourceNamespace: String?
    @Option(name: .long, help: "Source service account, with --source-namespace.") var serviceAccount: String?
    @Option(name: .long, help: "Source IP.") var sourceIP: String?
    @Option(name: .long, help: "Original client IP (remote.ip).") var remoteIP: String?
    @Flag(name: .long, help: "The source has no sidecar: no mTLS identity.") var plaintext = false
    @Option(name: .long, help: "TLS SNI.") var sni: String?
    @Option(name: .long, help: "Destination workload, namespace/name (with --port).") var toWorkload: String?
    @Option(name: .long, help: "Destination container port, with --to-workload.") var port: Int?
    @Option(name: .long, help: "Destination service, host:port.") var toService: String?
    @Option(name: .long, help: "HTTP method.") var method = "GET"
    @Option(name: .long, help: "HTTP path, query included.") var path = "/"
    @Option(name: .long, help: "The :authority header.") var host: String?
    @Option(name: .long, parsing: .singleValue, help: "A header, 'name: value' (repeatable).") var header: [String] = []
    @Option(name: .long, help: "A JWT, sent as Authorization: Bearer unless a header carries it.") var token: String?
    @Option(name: .long, help: "Verified JWT claims as JSON (instead of a token).") var claims: String?
    @Flag(name: .long, help: "Fetch each RequestAuthentication jwksUri first (as meshd serve does).") var fetchJwks =
        false
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        do {
            var snapshot = try loadSnapshot()
            if fetchJwks { snapshot = await Self.fetchKeys(into: snapshot) }
            let specs = try requests.map(AuthzRequestFile.read) ?? [try flagRequest()]
            let targets = SimulationTargets(snapshot: snapshot)
            var rows: [AuthzCheckRow] = []
            var simulators: [String: AuthorizationSimulator] = [:]
            for (index, spec) in specs.enumerated() {
                let (proxy, request) = try spec.resolve(in: targets)
                let simulator = simulators[proxy.id] ?? AuthorizationSimulator(snapshot: snapshot, proxy: proxy)
                simulators[proxy.id] = simulator
                rows.append(
                    AuthzCheckRow(index: index + 1, spec: spec, proxy: proxy, decision: simulator.check(request)))
            }
            print(
                json ? AuthzCheckFormat.json(rows) : AuthzCheckFormat.text(rows, single: requests == nil),
                terminator: "")
            if rows.contains(where: { $0.expectationMet == false }) { throw ExitCode(1) }
        } catch let error as SimulationInputError {
            FileHandle.standardError.write(Data("meshd authz check: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    func loadSnapshot() throws -> MeshSnapshot {
        let quiet = Logger(label: "meshd-authz", factory: { _ in SwiftLogNoOpLogHandler() })
        let store = ConfigStore(logger: quiet)
        if let meshConfig {
            do {
                try MeshConfigFileSource(path: meshConfig, store: store, logger: quiet).loadOnce()
            } catch {
                throw SimulationInputError(field: "--mesh-config", reason: "\(error)")
            }
        }
        do {
            try FileSource(directory: configDir, store: store, logger: quiet).loadOnce()
        } catch {
            throw SimulationInputError(field: "--config-dir", reason: "\(error)")
        }
        for diagnostic in store.diagnostics() where diagnostic.isError {
            FileHandle.standardError.write(Data("warning: not served, so not simulated: \(diagnostic)\n".utf8))
        }
        return store.snapshot()
    }

    func flagRequest() throws -> AuthorizationCheckRequest {
        var headers: [String: String] = [:]
        for entry in header {
            guard let colon = entry.firstIndex(of: ":") else {
                throw SimulationInputError(field: "--header", reason: "expected 'name: value', got \"\(entry)\"")
            }
            headers[entry[..<colon].trimmingCharacters(in: .whitespaces).lowercased()] =
                entry[entry.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var parsedClaims: MetadataValue?
        if let claims {
            guard let value = MetadataValue.parse(json: Data(claims.utf8)), case .object = value else {
                throw SimulationInputError(field: "--claims", reason: "not a JSON object")
            }
            parsedClaims = value
        }
        return AuthorizationCheckRequest(
            name: nil,
            from: .init(
                workload: fromWorkload, principal: principal, namespace: sourceNamespace,
                serviceAccount: serviceAccount,
                ip: sourceIP, remoteIP: remoteIP, plaintext: plaintext, sni: sni),
            to: .init(workload: toWorkload, port: port, service: toService), method: method, path: path, host: host,
            headers: headers, token: token, claims: parsedClaims, expect: nil)
    }

    /// Fetches every jwksUri once (the rule's timeout, default 5 s), keeping only valid key sets.
    static func fetchKeys(into snapshot: MeshSnapshot) async -> MeshSnapshot {
        let fetcher = HTTPJWKSFetcher()
        let settings = JWKSSettings()
        var keys: [String: String] = [:]
        for (uri, references) in snapshot.jwksReferences.sorted(by: { $0.key < $1.key }) {
            do {
                let body = try await fetcher.fetch(
                    uri, timeout: settings.timeout(for: references), limit: settings.sizeLimit)
                keys[uri] = try JWKSDocument.validate(body, limit: settings.sizeLimit)
            } catch {
                FileHandle.standardError.write(
                    Data("warning: jwksUri \(uri): \(error); its providers reject every token\n".utf8))
            }
        }
        return snapshot.withFetchedJWKS(keys)
    }
}

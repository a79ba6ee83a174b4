import Foundation
import MeshTestSupport
import Testing

/// The VirtualService HTTP features of Istio's traffic API through real Envoys (issue 3): timeouts, retries,
/// faults, mirroring, redirects, rewrites and header manipulation, each proven with real requests from the
/// client pod to the `echo` Service and counted at the backends.
///
/// Weighted destinations and subsets are proven by `ReviewsMeshTests.weightedSplit` (an 80/20 split of 500
/// requests between subsets v1 and v2) and `ReviewsMeshTests.matchRouting` (requests reach the subset a match
/// names, through the `outbound|9080|<subset>|…` clusters), so they are not repeated here.
@Suite("VirtualService HTTP features end to end (meshd + real Envoys)", .serialized, .trafficHTTPMesh, .tags(.e2e))
struct TrafficHTTPTests {
    /// A key of its own for every request group, so that backend counts never mix between tests.
    static func key(_ name: String) -> String { "\(name)-\(UUID().uuidString.prefix(8))" }

    /// Waits (bounded) until `counts()` reports at least `expected` requests under `key`, then returns the count.
    static func count(
        _ key: String, atLeast expected: Int, in counts: () throws -> EchoCounts, timeout: Duration = .seconds(5)
    ) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let seen = try counts().count(key)
            if seen >= expected || ContinuousClock.now >= deadline { return seen }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Header values with comma-joined lists split, as HTTP treats them.
    static func flattened(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    @Test("timeout: a backend slower than the route timeout yields 504 from the client's Envoy")
    func timeout() async throws {
        let mesh = try TrafficHTTPMesh.require()
        try await mesh.apply(
            TrafficHTTPMesh.virtualService(
                """
                - name: timeout-1s
                  timeout: 1s
                  route:
                  - destination:
                      host: echo
                """))
        let fast = Self.key("timeout-fast")
        let quick = try await mesh.send(headers: EchoControl.key(fast))
        #expect(quick.responses.first?.status == 200, "a fast answer must pass the timeout: \(quick)")

        let slow = Self.key("timeout-slow")
        let traffic = try await mesh.send(
            headers: EchoControl.key(slow).merging(EchoControl.delay(3)) { $1 }, perRequestTimeout: 8)
        let answer = try #require(traffic.responses.first, "no answer: \(traffic)")
        #expect(
            answer.status == 504,
            "a 3 s backend behind `timeout: 1s` must give 504: \(answer); routes: \(mesh.clientRoutesJSON())")
        #expect(answer.body.contains("upstream request timeout"), "\(answer)")
        #expect(answer.seconds >= 0.9, "the 504 came before the timeout: \(answer)")
        #expect(
            try await Self.count(slow, atLeast: 1, in: mesh.echoCounts) == 1,
            "the slow request reached the backend once")
        print("TrafficHTTP timeout: HTTP \(answer.status) after \(answer.seconds)s (timeout 1s, backend 3s)")
    }

    @Test("retries: attempts, perTryTimeout and retryOn recover from a backend failing its first calls")
    func retries() async throws {
        let mesh = try TrafficHTTPMesh.require()
        try await mesh.apply(
            TrafficHTTPMesh.virtualService(
                """
                - name: retries-codes
                  match:
                  - uri:
                      prefix: /codes
                  route:
                  - destination:
                      host: echo
                  retries:
                    attempts: 2
                    retryOn: "502"
                - name: retries-3
                  route:
                  - destination:
                      host: echo
                  retries:
                    attempts: 3
                    perTryTimeout: 500ms
                    retryOn: 5xx
                """))
        let retriesBefore = try mesh.client.counter("cluster.\(TrafficHTTPMesh.echoCluster).upstream_rq_retry")

        // Two failures (500, which Istio's default policy would not retry), then success: 3 calls in all.
        let recovers = Self.key("retry-recovers")
        let recovered = try await mesh.send(
            headers: EchoControl.key(recovers).merging(EchoControl.failFirst(2, status: 500)) { $1 })
        #expect(
            recovered.responses.first?.status == 200,
            "2 failures with 3 retries must end in 200: \(recovered); routes: \(mesh.clientRoutesJSON())")
        #expect(
            try await Self.count(recovers, atLeast: 3, in: mesh.echoCounts) == 3,
            "the backend must see 1 call + 2 retries")

        // More failures than attempts: the client gets the last 500, after 1 call + 3 retries.
        let exhausts = Self.key("retry-exhausts")
        let exhausted = try await mesh.send(
            headers: EchoControl.key(exhausts).merging(EchoControl.failFirst(10, status: 500)) { $1 })
        #expect(exhausted.responses.first?.status == 500, "\(exhausted)")
        #expect(
            try await Self.count(exhausts, atLeast: 4, in: mesh.echoCounts) == 4,
            "attempts: 3 means 3 retries after the first call")

        // A first call slower than perTryTimeout is abandoned and retried; the retry answers.
        let slowFirst = Self.key("retry-slow-first")
        let perTry = try await mesh.send(
            headers: EchoControl.key(slowFirst).merging(EchoControl.delay(3, first: 1)) { $1 }, perRequestTimeout: 8)
        #expect(
            perTry.responses.first?.status == 200,
            "perTryTimeout 500ms must retry past a 3 s first call: \(perTry)")
        #expect(
            try await Self.count(slowFirst, atLeast: 2, in: mesh.echoCounts) == 2,
            "the backend must see the slow call and one retry")

        // A status code in retryOn retries that code only: 502 twice then success; a 500 is not retried.
        let byCode = Self.key("retry-code-502")
        let codeRetried = try await mesh.send(
            path: "/codes", headers: EchoControl.key(byCode).merging(EchoControl.failFirst(2, status: 502)) { $1 })
        #expect(codeRetried.responses.first?.status == 200, "retryOn \"502\" must retry 502s: \(codeRetried)")
        #expect(try await Self.count(byCode, atLeast: 3, in: mesh.echoCounts) == 3)
        let otherCode = Self.key("retry-code-500")
        let notRetried = try await mesh.send(
            path: "/codes", headers: EchoControl.key(otherCode).merging(EchoControl.failFirst(1, status: 500)) { $1 })
        #expect(notRetried.responses.first?.status == 500, "retryOn \"502\" must not retry a 500: \(notRetried)")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try mesh.echoCounts().count(otherCode) == 1, "a 500 under retryOn \"502\" must reach the backend once")

        let retries =
            try mesh.client.counter("cluster.\(TrafficHTTPMesh.echoCluster).upstream_rq_retry") - retriesBefore
        #expect(retries >= 8, "the client's Envoy counted \(retries) retries, expected 2 + 3 + 1 + 2")
        print("TrafficHTTP retries: per-try-timeout retry answered after \(perTry.responses.first?.seconds ?? -1)s")
    }

    @Test("fault: an abort at 100% answers the configured status; a delay holds the request at least that long")
    func fault() async throws {
        let mesh = try TrafficHTTPMesh.require()
        try await mesh.apply(
            TrafficHTTPMesh.virtualService(
                """
                - name: fault-abort
                  match:
                  - uri:
                      prefix: /abort
                  fault:
                    abort:
                      httpStatus: 418
                      percentage:
                        value: 100
                  route:
                  - destination:
                      host: echo
                - name: fault-abort-half
                  match:
                  - uri:
                      prefix: /half
                  fault:
                    abort:
                      httpStatus: 503
                      percentage:
                        value: 50
                  route:
                  - destination:
                      host: echo
                - name: fault-delay
                  match:
                  - uri:
                      prefix: /delay
                  fault:
                    delay:
                      fixedDelay: 1s
                      percentage:
                        value: 100
                  route:
                  - destination:
                      host: echo
                - name: fault-none
                  route:
                  - destination:
                      host: echo
                """))
        let aborted = Self.key("fault-abort")
        let abort = try await mesh.send(path: "/abort", headers: EchoControl.key(aborted), count: 10, capture: 10)
        #expect(
            abort.statuses == ["418": 10],
            "abort at 100% must answer 418 every time: \(abort); routes: \(mesh.clientRoutesJSON())")
        #expect(try mesh.echoCounts().count(aborted) == 0, "aborted requests must never reach the backend")

        // 200 draws at p = 0.5: the standard deviation is 7, so [60, 140] is more than 5 of them.
        let half = try await mesh.send(
            path: "/half", headers: EchoControl.key(Self.key("fault-half")), count: 200, capture: 0, maxSeconds: 40)
        let halfAborted = half.statuses["503", default: 0]
        #expect(half.sent == 200 && half.ok + halfAborted == 200, "\(half)")
        #expect((60...140).contains(halfAborted), "abort at 50% aborted \(halfAborted) of 200")

        let delayed = Self.key("fault-delay")
        let delay = try await mesh.send(
            path: "/delay", headers: EchoControl.key(delayed), count: 2, capture: 2, perRequestTimeout: 8)
        #expect(delay.statuses == ["200": 2], "\(delay)")
        for answer in delay.responses {
            #expect(
                answer.seconds >= 0.95,
                "a 1 s fault delay answered after only \(answer.seconds)s; routes: \(mesh.clientRoutesJSON())")
        }
        #expect(
            try await Self.count(delayed, atLeast: 2, in: mesh.echoCounts) == 2,
            "delayed requests still reach the backend")

        let untouched = try await mesh.send(path: "/other", headers: EchoControl.key(Self.key("fault-none")))
        #expect(untouched.responses.first?.status == 200, "a route without fault is not affected: \(untouched)")
        print(
            "TrafficHTTP fault: delayed answers after \(delay.responses.map(\.seconds))s (delay 1s); 50% abort: \(halfAborted)/200"
        )
    }

    @Test("mirror: the mirror backend receives a copy of every request at 100%, about half at 50%")
    func mirror() async throws {
        let mesh = try TrafficHTTPMesh.require()
        try await mesh.apply(
            TrafficHTTPMesh.virtualService(
                """
                - name: mirror-all
                  match:
                  - uri:
                      prefix: /all
                  route:
                  - destination:
                      host: echo
                  mirror:
                    host: shadow
                  mirrorPercentage:
                    value: 100
                - name: mirror-half
                  match:
                  - uri:
                      prefix: /half
                  route:
                  - destination:
                      host: echo
                  mirror:
                    host: shadow
                  mirrorPercentage:
                    value: 50
                """))
        let all = Self.key("mirror-all")
        let traffic = try await mesh.send(path: "/all", headers: EchoControl.key(all), count: 20, capture: 1)
        #expect(traffic.statuses == ["200": 20], "\(traffic)")
        #expect(traffic.responses.first?.echo?.service == "echo", "the answer comes from the primary, not the mirror")
        #expect(try await Self.count(all, atLeast: 20, in: mesh.echoCounts) == 20)
        let copies = try await Self.count(all, atLeast: 20, in: mesh.shadowCounts)
        #expect(
            copies == 20,
            "the mirror must receive all 20 copies, got \(copies); routes: \(mesh.clientRoutesJSON())")
        let lastCopy = try mesh.shadowCounts().last[all]
        let copyHost = lastCopy?.values(of: "host").first
        #expect(
            copyHost?.contains("-shadow") == true,
            "Envoy marks a mirrored request's Host with -shadow: \(String(describing: copyHost))")

        let half = Self.key("mirror-half")
        let halfTraffic = try await mesh.send(
            path: "/half", headers: EchoControl.key(half), count: 200, capture: 0, maxSeconds: 40)
        #expect(halfTraffic.statuses == ["200": 200], "\(halfTraffic)")
        // Let the last copies land: count until 1 s has passed without a change.
        var halfCopies = try mesh.shadowCounts().count(half)
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(250))
            let now = try mesh.shadowCounts().count(half)
            if now == halfCopies { break }
            halfCopies = now
        }
        // 200 draws at p = 0.5: the standard deviation is 7, so [60, 140] is more than 5 of them.
        #expect((60...140).contains(halfCopies), "mirrorPercentage 50 mirrored \(halfCopies) of 200")
        print(
            "TrafficHTTP mirror: 100% -> \(copies)/20 copies, 50% -> \(halfCopies)/200 copies, copy Host \(copyHost ?? "-")"
        )
    }

    @Test("redirect: the client's Envoy answers with the redirect status and Location, the backend sees nothing")
    func redirect() async throws {
        let mesh = try TrafficHTTPMesh.require()
        try await mesh.apply(
            TrafficHTTPMesh.virtualService(
                """
                - name: redirect-308
                  match:
                  - uri:
                      prefix: /old-site
                  redirect:
                    uri: /new-site
                    authority: elsewhere.example
                    redirectCode: 308
                - name: redirect-default
                  match:
                  - uri:
                      exact: /moved
                  redirect:
                    uri: /here
                - name: redirect-rest
                  route:
                  - destination:
                      host: echo
                """))
        let key = Self.key("redirect")
        let moved = try await mesh.send(path: "/old-site", headers: EchoControl.key(key))
        let answer = try #require(moved.responses.first, "\(moved)")
        #expect(answer.status == 308, "\(answer); routes: \(mesh.clientRoutesJSON())")
        #expect(answer.header("location") == "http://elsewhere.example/new-site", "\(answer)")

        let byDefault = try await mesh.send(path: "/moved", headers: EchoControl.key(key))
        let defaultAnswer = try #require(byDefault.responses.first, "\(byDefault)")
        #expect(defaultAnswer.status == 301, "redirectCode defaults to 301: \(defaultAnswer)")
        #expect(
            defaultAnswer.header("location") == "http://echo/here",
            "the authority stays when not redirected: \(defaultAnswer)")
        #expect(try mesh.echoCounts().count(key) == 0, "redirected requests must not reach the backend")
    }

    @Test("rewrite: the backend sees the rewritten path and Host")
    func rewrite() async throws {
        let mesh = try TrafficHTTPMesh.require()
        try await mesh.apply(
            TrafficHTTPMesh.virtualService(
                """
                - name: rewrite-api
                  match:
                  - uri:
                      prefix: /v1/api/
                  rewrite:
                    uri: /api/
                    authority: rewritten.example
                  route:
                  - destination:
                      host: echo
                - name: rewrite-rest
                  route:
                  - destination:
                      host: echo
                """))
        let traffic = try await mesh.send(path: "/v1/api/items?id=7", headers: EchoControl.key(Self.key("rewrite")))
        let answer = try #require(traffic.responses.first, "\(traffic)")
        let echo = try #require(answer.echo, "no echo answer: \(answer); routes: \(mesh.clientRoutesJSON())")
        #expect(
            echo.path == "/api/items?id=7",
            "prefix /v1/api/ rewritten to /api/: \(echo.path); routes: \(mesh.clientRoutesJSON())")
        #expect(echo.values(of: "host") == ["rewritten.example"], "authority rewrite: \(echo.values(of: "host"))")

        let untouched = try await mesh.send(path: "/v2/items", headers: EchoControl.key(Self.key("rewrite-rest")))
        let plain = try #require(untouched.responses.first?.echo, "\(untouched)")
        #expect(plain.path == "/v2/items")
        #expect(plain.values(of: "host") == ["echo"])
    }

    @Test("headers: request set/add/remove reach the backend, response set/add/remove reach the client")
    func headers() async throws {
        let mesh = try TrafficHTTPMesh.require()
        try await mesh.apply(
            TrafficHTTPMesh.virtualService(
                """
                - name: headers
                  route:
                  - destination:
                      host: echo
                  headers:
                    request:
                      set:
                        x-set: routed
                      add:
                        x-add: routed
                      remove:
                      - x-remove
                    response:
                      set:
                        x-resp-set: routed
                      add:
                        x-resp-add: routed
                      remove:
                      - x-resp-remove
                """))
        var headers = EchoControl.key(Self.key("headers"))
        headers["x-set"] = "client"
        headers["x-add"] = "client"
        headers["x-remove"] = "client"
        headers.merge(
            EchoControl.responseHeaders([
                ("x-resp-set", "backend"), ("x-resp-add", "backend"), ("x-resp-remove", "backend"),
            ])
        ) { $1 }
        let traffic = try await mesh.send(headers: headers)
        let answer = try #require(traffic.responses.first, "\(traffic)")
        #expect(answer.status == 200, "\(answer)")
        let echo = try #require(answer.echo, "\(answer)")
        let routes = mesh.clientRoutesJSON()

        #expect(
            echo.values(of: "x-set") == ["routed"],
            "request set overwrites: \(echo.values(of: "x-set")); routes: \(routes)")
        #expect(
            Self.flattened(echo.values(of: "x-add")).sorted() == [
                "client",
                "routed",
            ], "request add appends: \(echo.values(of: "x-add"))")
        #expect(echo.values(of: "x-remove").isEmpty, "request remove: \(echo.values(of: "x-remove"))")

        #expect(
            answer.values(of: "x-resp-set") == ["routed"],
            "response set overwrites: \(answer.values(of: "x-resp-set"))")
        #expect(
            Self.flattened(answer.values(of: "x-resp-add")).sorted() == [
                "backend",
                "routed",
            ], "response add appends: \(answer.values(of: "x-resp-add"))")
        #expect(answer.values(of: "x-resp-remove").isEmpty, "response remove: \(answer.values(of: "x-resp-remove"))")
    }

    @Test("headers per destination: each weighted destination adds its own request and response headers")
    func destinationHeaders() async throws {
        let mesh = try TrafficHTTPMesh.require()
        try await mesh.apply(
            TrafficHTTPMesh.virtualService(
                """
                - name: destination-headers
                  route:
                  - destination:
                      host: echo
                    weight: 50
                    headers:
                      request:
                        set:
                          x-destination: to-echo
                      response:
                        set:
                          x-served-by: echo-destination
                  - destination:
                      host: shadow
                    weight: 50
                    headers:
                      request:
                        set:
                          x-destination: to-shadow
                      response:
                        set:
                          x-served-by: shadow-destination
                """))
        let traffic = try await mesh.send(
            headers: EchoControl.key(Self.key("destination-headers")), count: 40, capture: 40)
        #expect(traffic.statuses == ["200": 40], "\(traffic)")
        var served: [String: Int] = [:]
        for answer in traffic.responses {
            guard let echo = answer.echo else {
                Issue.record("not an echo answer: \(answer)")
                continue
            }
            served[echo.service, default: 0] += 1
            #expect(
                echo.values(of: "x-destination") == ["to-\(echo.service)"],
                "\(echo.service) got \(echo.values(of: "x-destination")); routes: \(mesh.clientRoutesJSON())")
            #expect(answer.values(of: "x-served-by") == ["\(echo.service)-destination"], "\(answer)")
        }
        // 40 draws at p = 0.5: each side gets at least 6 with probability above 1 - 1e-5.
        #expect(served["echo", default: 0] >= 6 && served["shadow", default: 0] >= 6, "50/50 split: \(served)")
        print("TrafficHTTP destination headers: split \(served)")
    }
}

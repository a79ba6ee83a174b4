import MeshTestSupport
import Testing

/// The test harness's own guard: a command past its timeout is killed, not waited for.
@Suite(.tags(.e2e)) struct SubprocessTimeoutTests {
    @Test func aCommandPastItsTimeoutIsKilledPromptly() {
        let start = ContinuousClock.now
        #expect(throws: SubprocessError.self) {
            _ = try Subprocess.run(["sleep", "20"], timeout: .milliseconds(300))
        }
        #expect(ContinuousClock.now - start < .seconds(10))
    }
}

import Discovery
import Testing

/// Debouncing driven with made-up instants: counts of pushes, never wall-clock speed.
@Suite("PushDebouncer")
struct PushDebouncerTests {
    let start = ContinuousClock.now
    let settings = PushSettings(
        debounceAfter: .milliseconds(100), debounceMax: .seconds(1), endpointWindow: .milliseconds(10))

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    @Test func aBurstOfConfigChangesBecomesOnePushAfterTheQuietPeriod() {
        var debouncer = PushDebouncer(settings: settings)
        var pushes: [PushDebouncer.Burst] = []
        for step in 0..<20 {
            debouncer.changed(endpointOnly: false, at: at(step * 10))
            if let burst = debouncer.fire(at: at(step * 10 + 5)) { pushes.append(burst) }
        }
        #expect(pushes.isEmpty, "nothing fires while changes keep arriving within the quiet period")
        #expect(debouncer.deadline == at(190 + 100))
        #expect(debouncer.fire(at: at(289)) == nil)
        let burst = debouncer.fire(at: at(290))
        #expect(burst?.changes == 20)
        #expect(burst?.endpointOnly == false)
        #expect(debouncer.pending == nil)
    }

    @Test func theMaximumCapsAnEndlessBurst() {
        var debouncer = PushDebouncer(settings: settings)
        var fired: [Int] = []
        for step in 0..<300 {  // a change every 10 ms for 3 s: never 100 ms of quiet
            let now = step * 10
            if debouncer.fire(at: at(now)) != nil { fired.append(now) }
            debouncer.changed(endpointOnly: false, at: at(now))
        }
        #expect(fired == [1000, 2000], "one push per debounce-max, counted from each burst's first change")
    }

    @Test func endpointOnlyChangesTakeTheShortWindowAndAConfigChangeTurnsTheBurstIntoAConfigPush() {
        var debouncer = PushDebouncer(settings: settings)
        debouncer.changed(endpointOnly: true, at: at(0))
        debouncer.changed(endpointOnly: true, at: at(4))
        #expect(debouncer.deadline == at(10))
        let burst = debouncer.fire(at: at(10))
        #expect(burst?.endpointOnly == true)
        #expect(burst?.changes == 2)

        debouncer.changed(endpointOnly: true, at: at(20))
        debouncer.changed(endpointOnly: false, at: at(25))
        #expect(debouncer.fire(at: at(30)) == nil, "a config change in the burst waits for the config quiet period")
        #expect(debouncer.fire(at: at(125))?.endpointOnly == false)
    }
}

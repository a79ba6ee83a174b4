import Foundation
import FuzzTargets

/// libFuzzer calls this once per input (built with `-sanitize=fuzzer -parse-as-library`, so there is no main).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let done = DispatchSemaphore(value: 0)
    Task {
        await FuzzTargets.run("yaml", bytes)
        done.signal()
    }
    done.wait()
    return 0
}

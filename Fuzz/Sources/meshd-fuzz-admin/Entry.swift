import AdminFuzzTarget
import Foundation

/// libFuzzer calls this once per input; the admin router is async, so each input waits for its answer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let done = DispatchSemaphore(value: 0)
    Task {
        await AdminFuzzTarget.admin(bytes)
        done.signal()
    }
    done.wait()
    return 0
}

import AdminFuzzTarget
import Foundation
import LibFuzzerDriver

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

/// The process's entry (see `LibFuzzer`).
@_cdecl("meshd_fuzz_admin_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    LibFuzzer.run(argc, argv, fuzzOneInput)
}

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

/// SwiftPM links an executable with `main` defined as `<module>_main`; with `-parse-as-library` there is no
/// such function, so it is this one, which hands the process to libFuzzer's driver.
@_cdecl("meshd_fuzz_admin_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzOneInput)
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

import Foundation
import FuzzTargets
import LibFuzzerDriver

/// The target this process fuzzes: `MESHD_FUZZ_TARGET`, one of `FuzzTargets.names` (Scripts/fuzz sets it).
let target: String = {
    let name = ProcessInfo.processInfo.environment["MESHD_FUZZ_TARGET"] ?? ""
    guard FuzzTargets.names.contains(name) else {
        FileHandle.standardError.write(Data("set MESHD_FUZZ_TARGET to one of \(FuzzTargets.names)\n".utf8))
        exit(2)
    }
    return name
}()

/// libFuzzer calls this once per input (built with `-sanitize=fuzzer -parse-as-library`, so there is no main).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.run(target, data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// The process's entry (see `LibFuzzer`).
@_cdecl("meshd_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    LibFuzzer.run(argc, argv, fuzzOneInput)
}

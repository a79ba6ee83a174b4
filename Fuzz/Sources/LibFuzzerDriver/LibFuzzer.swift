/// libFuzzer's driver, for executables built with `-parse-as-library`: SwiftPM links an executable with `main`
/// defined as `<module>_main`, and there is no such function unless the executable defines it and hands the
/// process to `LLVMFuzzerRunDriver`, as `run` does.
public enum LibFuzzer {
    /// One input: its bytes and their count; returns 0.
    public typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    /// Runs libFuzzer with the process's arguments, calling `testOneInput` for every input.
    public static func run(
        _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ testOneInput: TestOneInput
    ) -> Int32 {
        var count = argc
        var arguments = argv
        return LLVMFuzzerRunDriver(&count, &arguments, testOneInput)
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: LibFuzzer.TestOneInput
) -> CInt

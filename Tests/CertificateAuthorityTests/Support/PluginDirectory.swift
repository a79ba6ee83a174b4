import Foundation

/// A plug-in CA directory in Istio's layout: root → intermediate, with `cert-chain.pem` = intermediate + root.
struct PluginDirectory {
    let directory: TemporaryDirectory
    let root: TestPKI.Issuer
    let intermediate: TestPKI.Issuer

    init(intermediateNotAfter: Date = Date().addingTimeInterval(180 * 86_400)) throws {
        directory = try TemporaryDirectory()
        root = try TestPKI.makeCA(name: "plug-in root")
        intermediate = try TestPKI.makeCA(name: "plug-in intermediate", parent: root, notAfter: intermediateNotAfter)
        try write("ca-cert.pem", intermediate.certificatePEM)
        try write("ca-key.pem", intermediate.keyPEM)
        try write("root-cert.pem", root.certificatePEM)
        try write("cert-chain.pem", intermediate.certificatePEM + root.certificatePEM)
    }

    var path: String { directory.path }

    func write(_ name: String, _ contents: String) throws {
        try contents.write(toFile: directory.file(name), atomically: true, encoding: .utf8)
    }
}

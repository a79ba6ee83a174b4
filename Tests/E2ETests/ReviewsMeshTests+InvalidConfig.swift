import MeshTestSupport
import Testing

extension ReviewsMeshTests {
    @Test(
        "an invalid VirtualService edit is refused with its file and field, and traffic keeps the last good routes",
        arguments: [
            InvalidEdit(
                name: "a split with total weight 0", yaml: ReviewsConfig.zeroWeightSplit,
                fieldPath: ["http[0]", "route"]),
            InvalidEdit(name: "malformed YAML", yaml: ReviewsConfig.malformedYAML, fieldPath: []),
        ])
    func invalidEdit(_ edit: InvalidEdit) async throws {
        let mesh = try ReviewsMesh.require()
        // A last good config that differs from every other one in the suite: everything to v2.
        try await mesh.applyVirtualService(ReviewsConfig.allTo("v2"))
        let goodRoutes = try mesh.clientRouteVersion()

        try mesh.writeVirtualServiceFile(edit.yaml)
        let file = ReviewsConfig.virtualServiceFile
        let errors = try await Poll.until("configz to report the \(edit.name) in \(file)", timeout: .seconds(10)) {
            let errors = try mesh.errors(forFile: file)
            return errors.isEmpty ? nil : errors
        }
        let error = try #require(errors.first)
        #expect(error.file == mesh.meshd.configPath(file), "\(error)")
        #expect(error.message.contains(file), "the message must name the file: \(error)")
        #expect(error.line != nil, "the error must give the line: \(error)")
        if !edit.fieldPath.isEmpty {
            let field = error.field ?? ""
            #expect(edit.fieldPath.allSatisfy { field.contains($0) }, "field path \(field.debugDescription): \(error)")
            #expect(error.object == "VirtualService/default/reviews", "\(error)")
        }

        let during = try await mesh.send(count: 40)
        #expect(
            during.ok == 40 && during.pods == ["reviews-v2": 40], "the last good config must stay in force: \(during)")
        #expect(try mesh.clientRouteVersion() == goodRoutes, "the refused edit changed the client's routes")
        #expect(try mesh.meshd.configz().objects.contains { $0.key == "VirtualService/default/reviews" })

        // Fixing the file clears the error and is applied.
        try await mesh.applyVirtualService(ReviewsConfig.baseVirtualService)
        #expect(try mesh.errors(forFile: file).isEmpty)
        let fixed = try await mesh.send(count: 20, path: "/v2/fixed")
        #expect(fixed.pods == ["reviews-v2": 20], "\(fixed)")
        let jason = try await mesh.send(count: 20, headers: ["end-user": "jason"])
        #expect(jason.pods == ["reviews-v3": 20], "\(jason)")
    }
}

/// A refused VirtualService edit and the words its error must contain in its field path.
struct InvalidEdit: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var fieldPath: [String]
    var testDescription: String { name }
}

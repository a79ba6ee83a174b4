import Hummingbird

/// `/debug/configz` (every object with its source and every validation error) and `/debug/registryz`
/// (services and endpoints as meshd resolved them), `/debug/autoregistrationz` (auto-registered WorkloadEntries).
struct ConfigRoutes {
    let context: AdminContext

    func register(on router: Router<BasicRequestContext>) {
        let context = context
        router.get("/debug/configz") { _, _ in
            Responses.json(ConfigStatusJSON(store: context.store))
        }
        router.get("/debug/registryz") { _, _ in
            let snapshot = context.provider.snapshot
            return Responses.json(snapshot.services.map { RegistryServiceJSON($0, snapshot: snapshot) })
        }
        router.get("/debug/autoregistrationz") { _, _ in
            Responses.json((context.provider.autoRegistration?.statuses() ?? []).map(AutoRegistrationJSON.init))
        }
    }
}

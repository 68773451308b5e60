import Fluent
import Vapor
import YiyangDomain

/// `POST /api/v1/sessions` signs in and returns a bearer token; `DELETE …/current` revokes it.
struct SessionsAPI: RouteCollection {
    struct SignInBody: Content {
        var username: String
        var password: String
        /// The `deviceToken` of an earlier sign-in from this client: others' wrong passwords do not slow it down.
        var deviceToken: String?
    }

    struct TokenAnswer: Content {
        var token: String
        var expiresAt: Date
        var user: AccountService.View
        var deviceToken: String
        /// Failed attempts on the account since it last signed in, when there were any.
        var failedAttemptsBefore: SignIn.FailedAttempts?
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.post("sessions", use: create)
    }

    func bootAuthenticated(routes: any RoutesBuilder) {
        routes.delete("sessions", "current", use: delete)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let body = try req.content.decode(SignInBody.self)
        let opened = try await SignIn.open(username: body.username, password: body.password, kind: .api,
                                           deviceToken: body.deviceToken, on: req)
        let roles = try await PermissionLookup.roles(of: opened.user.requireID(), on: req.db)
        let answer = TokenAnswer(token: opened.token, expiresAt: opened.session.expiresAt,
                                 user: AccountService.view(opened.user, roles: roles), deviceToken: opened.deviceToken,
                                 failedAttemptsBefore: opened.notice)
        let res = Response(status: .created)
        try res.content.encode(answer, as: .json)
        return res
    }

    @Sendable func delete(req: Request) async throws -> HTTPStatus {
        try await SignIn.close(on: req)
        return .noContent
    }
}

/// `/api/v1/me`: the signed-in account, and its password.
struct MeAPI: RouteCollection {
    struct MeAnswer: Content {
        var user: AccountService.View
        var permissions: [String]
        var region: RegionDTO?
    }

    struct PasswordBody: Content {
        var currentPassword: String
        var newPassword: String
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("me", use: me)
        routes.put("me", "password", use: changePassword)
    }

    @Sendable func me(req: Request) async throws -> MeAnswer {
        let actor = try req.requireActor()
        let user = try await CurrentAccount.load(req)
        let region = try await req.findScoped(Region.self, actor.region.value)
        return MeAnswer(user: AccountService.view(user, roles: actor.roles),
                        permissions: actor.permissions.map(\.rawValue).sorted(), region: RegionDTO(region))
    }

    @Sendable func changePassword(req: Request) async throws -> HTTPStatus {
        let body = try req.content.decode(PasswordBody.self)
        try await CurrentAccount.changePassword(req, current: body.currentPassword, new: body.newPassword)
        return .noContent
    }
}

/// The signed-in account's own record, which every account may read whatever its scope.
enum CurrentAccount {
    static func load(_ req: Request) async throws -> User {
        let actor = try req.requireActor()
        // Own account: region scope always allows it, as the account's region is its scope.
        return try await req.findScoped(User.self, actor.userID)
    }

    static func changePassword(_ req: Request, current: String, new: String) async throws {
        let actor = try req.requireActor()
        let user = try await load(req)
        guard (try? await req.password.async.verify(current, created: user.passwordHash)) == true else {
            throw AppError(.unprocessableEntity, "password.current_wrong", field: "currentPassword",
                           zh: "当前密码不正确", en: "The current password is wrong")
        }
        try await AccountService.changePassword(user, to: new, app: req.application, on: req.db)
        // Other browsers and tokens signed in with the old password are signed out.
        try await SignIn.revokeAll(userID: actor.userID, except: actor.sessionID, on: req.db)
        try await AuditLog.record(on: req, action: .passwordChanged, entityType: "user", entityID: actor.userID.uuidString,
                                  region: user.regionCode, after: ["otherSessionsRevoked": true])
    }
}

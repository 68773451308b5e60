import Crypto
import Foundation
import Vapor
import YiyangDomain

/// Encrypts personal data (ID numbers, phones, addresses) with AES-GCM, and computes a keyed
/// hash of an ID number or phone for exact lookup without decrypting. Both keys are derived
/// (HKDF) from the platform secret, which lives outside the database: `data/keys/platform.key`
/// (owner-only) or `YIYANG_SECRET_KEY`.
struct PersonalDataVault: Sendable {
    let encryptionKey: SymmetricKey
    let lookupKey: SymmetricKey

    init(secret: Data) {
        let master = SymmetricKey(data: secret)
        encryptionKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Data("yiyang personal-data encryption v1".utf8), outputByteCount: 32)
        lookupKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Data("yiyang personal-data lookup v1".utf8), outputByteCount: 32)
    }

    func seal(_ plain: String) throws -> String {
        try AES.GCM.seal(Data(plain.utf8), using: encryptionKey).combined!.base64EncodedString()
    }

    func open(_ sealed: String) throws -> String {
        guard let data = Data(base64Encoded: sealed) else { throw AppError(.internalServerError, "vault.corrupt", zh: "加密数据损坏", en: "Encrypted data is corrupt") }
        return String(decoding: try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: encryptionKey), as: UTF8.self)
    }

    /// The lookup hash: the same input always gives the same hash, which says nothing without the key.
    func lookupHash(_ value: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: lookupKey)).hexString
    }
}

extension Application {
    var vault: PersonalDataVault { PersonalDataVault(secret: secret.bytes) }
}

extension Request {
    var vault: PersonalDataVault { application.vault }
}

/// Display masks for personal data other than ID numbers.
enum PersonalMask {
    static func address(_ a: String) -> String {
        guard !a.isEmpty else { return "" }
        return String(a.prefix(6)) + (a.count > 6 ? "****" : "")
    }
}

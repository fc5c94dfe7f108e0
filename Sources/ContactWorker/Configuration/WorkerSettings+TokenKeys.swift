import Configuration
import ContactDomain
import Foundation

extension WorkerSettings {
    /// The settings that each name the token keys on their own; exactly one is used.
    static let tokenKeySettings = ["jwt.hs256.secret", "jwt.hs256.secrets", "jwt.public.key.file", "jwt.jwks.file"]

    /// The token key source: of the key settings that are set, the one from the highest-precedence
    /// source (flags, then environment, then the file) is used, so a key in the environment
    /// overrides the file's (including config/default.yaml's development secret); two set in the
    /// same source are an error, since either could be the one meant.
    static func tokenKeySource(
        reader: ConfigReader, sources: SettingSources
    ) throws(ConfigurationError) -> TokenKeySource {
        func level(_ key: String) -> Int {
            sources.overrides[key] != nil ? 3 : sources.environment[SettingSources.variable(for: key)] != nil ? 2 : 1
        }
        var given: [(key: String, level: Int)] = []
        for key in tokenKeySettings where try isSet(reader, key) {
            given.append((key, level(key)))
        }
        guard let top = given.map(\.level).max() else {
            throw ConfigurationError(
                key: "JWT_HS256_SECRET",
                message: "is required (or JWT_HS256_SECRETS, JWT_PUBLIC_KEY_FILE for ES256/RS256, JWT_JWKS_FILE)")
        }
        let chosen = given.filter { $0.level == top }
        if chosen.count > 1 {
            throw ConfigurationError(
                key: SettingSources.variable(for: chosen[chosen.count - 1].key),
                message:
                    "and \(SettingSources.variable(for: chosen[0].key)) are both set in the \(["", "file", "environment", "flags"][top]); set one"
            )
        }
        let key = chosen[0].key
        let name = sources.name(of: key)
        switch key {
        case "jwt.hs256.secret":
            let secret = try text(reader, key) ?? ""
            try requireSecretLength(secret, name: name)
            return .hs256(secrets: [Array(secret.utf8)])
        case "jwt.hs256.secrets":
            let secrets = try secretList(reader, key)
            guard !secrets.isEmpty else { throw ConfigurationError(key: name, message: "lists no secret") }
            for (index, secret) in secrets.enumerated() {
                try requireSecretLength(secret, name: name, position: secrets.count > 1 ? index + 1 : nil)
            }
            return .hs256(secrets: secrets.map { Array($0.utf8) })
        case "jwt.jwks.file":
            return .jwksFile(JWKSFile(path: try text(reader, key) ?? ""))
        default:
            let path = try text(reader, key) ?? ""
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigurationError(key: "JWT_PUBLIC_KEY_FILE", message: "cannot read \(path)")
            }
            switch try text(reader, "jwt.algorithm")?.uppercased() {
            case "ES256": return .publicKey(.es256(publicKeyPEM: pem))
            case "RS256": return .publicKey(.rs256(publicKeyPEM: pem))
            case nil:
                // An EC key can only be ES256 and an RSA key only RS256 here; sniff it from the PEM.
                return .publicKey(
                    pem.contains("BEGIN RSA PUBLIC KEY") || looksLikeRSA(pem)
                        ? .rs256(publicKeyPEM: pem) : .es256(publicKeyPEM: pem))
            case let other?:
                throw ConfigurationError(
                    key: sources.name(of: "jwt.algorithm"),
                    message: "\"\(other)\" is not supported with a public key (use ES256 or RS256)")
            }
        }
    }

    /// `JWT_JWKS_POLL_SECONDS`: whole seconds between reads of the JWKS file, 0 for none.
    static func jwksPollInterval(
        reader: ConfigReader, sources: SettingSources
    ) throws(ConfigurationError) -> Duration? {
        let text = try text(reader, "jwt.jwks.poll.seconds") ?? "5"
        guard let seconds = Int(text), (0...3600).contains(seconds) else {
            throw ConfigurationError(
                key: sources.name(of: "jwt.jwks.poll.seconds"),
                message: "\"\(text)\" is not a number of seconds from 0 (SIGHUP only) to 3600")
        }
        return seconds == 0 ? nil : .seconds(seconds)
    }

    private static func isSet(_ reader: ConfigReader, _ key: String) throws(ConfigurationError) -> Bool {
        key == "jwt.hs256.secrets" ? !(try secretList(reader, key)).isEmpty : try text(reader, key) != nil
    }

    /// `JWT_HS256_SECRETS`: one text with the secrets separated by commas or newlines (each
    /// trimmed, empty ones skipped), or a YAML list. Current secret first.
    private static func secretList(_ reader: ConfigReader, _ key: String) throws(ConfigurationError) -> [String] {
        let configKey = ConfigKey(key)
        let parts: [String]
        if let list = reader.stringArray(forKey: configKey), reader.string(forKey: configKey) == nil {
            parts = list
        } else {
            parts = (reader.string(forKey: configKey) ?? "").split(whereSeparator: { $0 == "," || $0.isNewline })
                .map(String.init)
        }
        return parts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func requireSecretLength(
        _ secret: String, name: String, position: Int? = nil
    ) throws(ConfigurationError) {
        guard secret.utf8.count >= TokenKey.minimumSecretBytes else {
            throw ConfigurationError(
                key: name,
                message:
                    "\(position.map { "secret \($0) " } ?? "")must be at least \(TokenKey.minimumSecretBytes) bytes (got \(secret.utf8.count))"
            )
        }
    }
}

extension WorkerSettings {
    /// A verifier with the configured keys, issuer and audience; fails like the worker's start
    /// when the keys are unusable (an unreadable or keyless JWKS, a bad PEM, a short secret).
    public func makeTokenVerifier() async throws(TokenConfigurationError) -> TokenVerifier {
        try makeTokenVerifier(keys: try await tokenKeys.loadKeySet().keys)
    }

    /// A verifier with `keys` (from ``tokenKeys``) and the configured issuer and audience; its
    /// ``TokenVerifier/keyRing`` is the one a ``TokenKeyReloader`` keeps current.
    public func makeTokenVerifier(keys: TokenKeySet) throws(TokenConfigurationError) -> TokenVerifier {
        try TokenVerifier(keyRing: TokenKeyRing(keys), issuer: jwtIssuer, audience: jwtAudience)
    }
}

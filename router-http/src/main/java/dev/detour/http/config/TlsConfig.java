package dev.detour.http.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TLS on the server: HTTPS, with HTTP/2 offered by ALPN beside HTTP/1.1. Paths are taken as written,
 * relative ones from the working directory. Both files are read and checked when the configuration is
 * loaded (blocking file I/O: load off the event loop); a problem names the file, never what is in it.
 * The server reads them again when it starts: a changed file takes effect at the next restart.
 *
 * @param certFile the certificate chain, PEM ({@code -----BEGIN CERTIFICATE-----} blocks, the server's
 *                 own certificate first)
 * @param keyFile  the server certificate's private key, PEM, unencrypted PKCS#8
 *                 ({@code -----BEGIN PRIVATE KEY-----})
 */
public record TlsConfig(String certFile, String keyFile) {

    private static final Pattern CERTIFICATE = Pattern.compile(
            "-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\\s]*?)-----END CERTIFICATE-----");
    private static final Pattern PRIVATE_KEY = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]*?)-----END PRIVATE KEY-----");
    private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "EdDSA", "RSASSA-PSS", "DSA");

    /**
     * Reads and checks both files (a field left out has been reported by the schema).
     *
     * @throws ConfigException naming each file that is missing, unreadable or not what it must be,
     *                         or a key that does not belong to the certificate
     */
    public TlsConfig {
        List<String> problems = new ArrayList<>();
        X509Certificate certificate = certFile == null ? null : certificate(certFile, problems);
        PrivateKey key = keyFile == null ? null : key(keyFile, problems);
        if (certificate != null && key != null) {
            match(key, certificate.getPublicKey(), problems);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    /** The certificate chain file. */
    public Path certPath() {
        return Path.of(certFile);
    }

    /** The private key file. */
    public Path keyPath() {
        return Path.of(keyFile);
    }

    private static X509Certificate certificate(String file, List<String> problems) {
        String text = read("cert-file", file, problems);
        if (text == null) {
            return null;
        }
        Matcher block = CERTIFICATE.matcher(text);
        X509Certificate first = null;
        int count = 0;
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            while (block.find()) {
                count++;
                byte[] der = Base64.getMimeDecoder().decode(block.group(1));
                X509Certificate certificate = (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der));
                first = first == null ? certificate : first;
            }
        } catch (CertificateException | IllegalArgumentException | ClassCastException e) {
            problems.add("cert-file: " + file + ": certificate " + count + " in it is not a valid X.509 certificate");
            return null;
        }
        if (count == 0) {
            problems.add("cert-file: " + file + ": no PEM certificate in it (expected a -----BEGIN CERTIFICATE----- block)");
        }
        return first;
    }

    private static PrivateKey key(String file, List<String> problems) {
        String text = read("key-file", file, problems);
        if (text == null) {
            return null;
        }
        Matcher block = PRIVATE_KEY.matcher(text);
        if (!block.find()) {
            problems.add("key-file: " + file + ": " + (text.contains("-----BEGIN RSA PRIVATE KEY-----") || text.contains("-----BEGIN EC PRIVATE KEY-----")
                    ? "the key is PKCS#1 / SEC 1; convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt -in old.pem -out key.pem)"
                    : text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
                    ? "the key is encrypted; give an unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----)"
                    : "no PEM private key in it (expected an unencrypted PKCS#8 -----BEGIN PRIVATE KEY----- block)"));
            return null;
        }
        PKCS8EncodedKeySpec spec;
        try {
            spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(block.group(1)));
        } catch (IllegalArgumentException e) {
            spec = null;
        }
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                if (spec != null) {
                    return KeyFactory.getInstance(algorithm).generatePrivate(spec);
                }
            } catch (GeneralSecurityException | RuntimeException e) {
                // not this algorithm; never say what the bytes were
            }
        }
        problems.add("key-file: " + file + ": the private key cannot be read (expected an RSA, EC or EdDSA key in PKCS#8)");
        return null;
    }

    /** Signs a few bytes with {@code key} and checks them with the certificate's key. */
    private static void match(PrivateKey key, PublicKey certified, List<String> problems) {
        String signing = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            case "DSA" -> "SHA256withDSA";
            default -> null;
        };
        boolean matches;
        if (!key.getAlgorithm().equals(certified.getAlgorithm())) {
            matches = false;
        } else if (signing == null) {
            return;
        } else {
            try {
                byte[] probe = "detour tls key check".getBytes(StandardCharsets.US_ASCII);
                Signature signer = Signature.getInstance(signing);
                signer.initSign(key);
                signer.update(probe);
                byte[] signature = signer.sign();
                Signature verifier = Signature.getInstance(signing);
                verifier.initVerify(certified);
                verifier.update(probe);
                matches = verifier.verify(signature);
            } catch (GeneralSecurityException e) {
                matches = false;
            }
        }
        if (!matches) {
            problems.add("key-file: the private key does not belong to the certificate in cert-file ("
                    + (key.getAlgorithm().equals(certified.getAlgorithm()) ? "another " + key.getAlgorithm() + " key"
                    : "an " + key.getAlgorithm() + " key, the certificate's is " + certified.getAlgorithm()) + ")");
        }
    }

    private static String read(String key, String file, List<String> problems) {
        try {
            Path path = Path.of(file);
            if (Files.isDirectory(path)) {
                problems.add(key + ": cannot read " + file + ": a directory, not a file");
                return null;
            }
            return Files.readString(path, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            problems.add(key + ": cannot read " + file + ": no such file");
        } catch (AccessDeniedException e) {
            problems.add(key + ": cannot read " + file + ": permission denied");
        } catch (IOException | java.nio.file.InvalidPathException e) {
            problems.add(key + ": cannot read " + file + ": " + e.getClass().getSimpleName());
        }
        return null;
    }
}

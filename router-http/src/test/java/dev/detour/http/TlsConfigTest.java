package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.detour.http.config.ConfigException;
import dev.detour.http.config.ConfigLoader;
import dev.detour.http.config.GatewayConfig;
import dev.detour.http.config.TlsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code server.tls}: both files required, read and checked at load; a problem names the file, never its contents. */
class TlsConfigTest {

    private static final String PROVIDERS = """
            providers:
              openai: { type: openai, base-url: https://api.openai.com/v1 }
            """;

    @TempDir
    static Path directory;
    private static TestCertificate ec;
    private static TestCertificate rsa;

    @BeforeAll
    static void certificates() {
        ec = TestCertificate.create(directory, "EC", "ec");
        rsa = TestCertificate.create(directory, "RSA", "rsa");
    }

    private static GatewayConfig parse(String tls) {
        return ConfigLoader.parse(PROVIDERS + "server: { port: 0, tls: " + tls + " }\n", "detour.yaml");
    }

    private static List<String> problems(String tls) {
        return catchThrowableOfType(ConfigException.class, () -> parse(tls)).problems();
    }

    private static String tls(Path cert, Path key) {
        return "{ cert-file: '" + cert + "', key-file: '" + key + "' }";
    }

    @Test
    void aCertificateAndItsKeyAreTaken() {
        for (TestCertificate certificate : List.of(ec, rsa)) {
            TlsConfig tls = parse(tls(certificate.certFile(), certificate.keyFile())).server().tls();

            assertThat(tls).isEqualTo(new TlsConfig(certificate.certFile().toString(), certificate.keyFile().toString()));
            assertThat(tls.certPath()).isEqualTo(certificate.certFile());
        }
        assertThat(ConfigLoader.parse(PROVIDERS, "detour.yaml").server().tls()).as("off unless set").isNull();
    }

    @Test
    void aChainIsTakenWithTheServersCertificateFirst() throws IOException {
        Path chain = Files.writeString(directory.resolve("chain.pem"),
                Files.readString(ec.certFile()) + Files.readString(rsa.certFile()));

        assertThat(parse(tls(chain, ec.keyFile())).server().tls().certFile()).isEqualTo(chain.toString());
        assertThat(problems(tls(chain, rsa.keyFile()))).as("the key must be the first certificate's").singleElement().asString()
                .contains("server.tls.key-file: the private key does not belong to the certificate in cert-file");
    }

    @Test
    void bothFilesAreRequired() {
        assertThat(problems("{}")).containsExactly(
                "detour.yaml: server.tls.cert-file: missing (TLS needs a PEM certificate chain file)",
                "detour.yaml: server.tls.key-file: missing (TLS needs a PEM PKCS#8 private key file)");
        assertThat(problems("{ cert-file: '" + ec.certFile() + "' }")).containsExactly(
                "detour.yaml: server.tls.key-file: missing (TLS needs a PEM PKCS#8 private key file)");
        assertThat(problems("{ cert-file: '" + ec.certFile() + "', key-file: '" + ec.keyFile() + "', password: x }"))
                .singleElement().asString().startsWith("detour.yaml: server.tls.password: unknown field");
    }

    @Test
    void aMissingFileIsNamed() {
        Path nowhere = directory.resolve("nowhere.pem");

        assertThat(problems(tls(nowhere, ec.keyFile()))).containsExactly(
                "detour.yaml: server.tls.cert-file: cannot read " + nowhere + ": no such file");
        assertThat(problems(tls(ec.certFile(), nowhere))).containsExactly(
                "detour.yaml: server.tls.key-file: cannot read " + nowhere + ": no such file");
        assertThat(problems(tls(directory, directory))).containsExactly(
                "detour.yaml: server.tls.cert-file: cannot read " + directory + ": a directory, not a file",
                "detour.yaml: server.tls.key-file: cannot read " + directory + ": a directory, not a file");
    }

    @Test
    void garbagePemIsNamedWithoutShowingWhatIsInIt() throws IOException {
        Path noPem = Files.writeString(directory.resolve("garbage.pem"), "hello, not a PEM file\n");
        Path badCertificate = Files.writeString(directory.resolve("bad-cert.pem"),
                TestCertificate.pem("CERTIFICATE", "not a certificate at all".getBytes()));
        String secret = "c2VjcmV0LWtleS1tYXRlcmlhbC1kby1ub3Qtc2hvdw";
        Path badKey = Files.writeString(directory.resolve("bad-key.pem"),
                "-----BEGIN PRIVATE KEY-----\n" + secret + "==\n-----END PRIVATE KEY-----\n");

        assertThat(problems(tls(noPem, noPem))).containsExactly(
                "detour.yaml: server.tls.cert-file: " + noPem + ": no PEM certificate in it (expected a -----BEGIN CERTIFICATE----- block)",
                "detour.yaml: server.tls.key-file: " + noPem + ": no PEM private key in it "
                        + "(expected an unencrypted PKCS#8 -----BEGIN PRIVATE KEY----- block)");
        assertThat(problems(tls(badCertificate, ec.keyFile()))).containsExactly(
                "detour.yaml: server.tls.cert-file: " + badCertificate + ": certificate 1 in it is not a valid X.509 certificate");
        List<String> badKeyProblems = problems(tls(ec.certFile(), badKey));
        assertThat(badKeyProblems).containsExactly(
                "detour.yaml: server.tls.key-file: " + badKey + ": the private key cannot be read (expected an RSA, EC or EdDSA key in PKCS#8)");
        assertThat(String.join("\n", badKeyProblems)).doesNotContain(secret.substring(0, 12));
    }

    @Test
    void theWrongKindOfKeyIsNamed() throws IOException {
        String body = Files.readString(rsa.keyFile()).replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "");
        Path pkcs1 = Files.writeString(directory.resolve("pkcs1.pem"), "-----BEGIN RSA PRIVATE KEY-----" + body + "-----END RSA PRIVATE KEY-----\n");
        Path encrypted = Files.writeString(directory.resolve("encrypted.pem"),
                "-----BEGIN ENCRYPTED PRIVATE KEY-----" + body + "-----END ENCRYPTED PRIVATE KEY-----\n");

        assertThat(problems(tls(rsa.certFile(), pkcs1))).singleElement().asString()
                .isEqualTo("detour.yaml: server.tls.key-file: " + pkcs1 + ": the key is PKCS#1 / SEC 1; convert it to PKCS#8 "
                        + "(openssl pkcs8 -topk8 -nocrypt -in old.pem -out key.pem)")
                .doesNotContain(body.strip().substring(0, 20));
        assertThat(problems(tls(rsa.certFile(), encrypted))).containsExactly("detour.yaml: server.tls.key-file: " + encrypted
                + ": the key is encrypted; give an unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----)");
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefused() {
        TestCertificate another = TestCertificate.create(directory, "EC", "another");

        assertThat(problems(tls(ec.certFile(), another.keyFile()))).containsExactly(
                "detour.yaml: server.tls.key-file: the private key does not belong to the certificate in cert-file (another EC key)");
        assertThat(problems(tls(ec.certFile(), rsa.keyFile()))).containsExactly(
                "detour.yaml: server.tls.key-file: the private key does not belong to the certificate in cert-file "
                        + "(an RSA key, the certificate's is EC)");
    }
}

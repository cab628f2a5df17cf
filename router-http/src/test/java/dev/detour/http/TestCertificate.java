package dev.detour.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * A self-signed certificate for {@code localhost} and {@code 127.0.0.1}, made by the JDK's own
 * {@code keytool} (no network, no library) and written as the router wants it: {@code cert.pem} (an
 * X.509 {@code CERTIFICATE} block) and {@code key.pem} (an unencrypted PKCS#8 {@code PRIVATE KEY} block).
 */
record TestCertificate(Path certFile, Path keyFile, X509Certificate certificate) {

    private static final char[] PASSWORD = "detour-test".toCharArray();

    /** Makes one in {@code directory} with an {@code algorithm} key ({@code EC} or {@code RSA}); blocks on keytool. */
    static TestCertificate create(Path directory, String algorithm, String name) {
        Path store = directory.resolve(name + ".p12");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "detour", "-keyalg", algorithm, "-keysize", algorithm.equals("EC") ? "256" : "2048",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD));
        try {
            Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + output);
            }
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keys.load(in, PASSWORD);
            }
            PrivateKey key = (PrivateKey) keys.getKey("detour", PASSWORD);
            X509Certificate certificate = (X509Certificate) keys.getCertificate("detour");
            Path certFile = Files.writeString(directory.resolve(name + "-cert.pem"), pem("CERTIFICATE", certificate.getEncoded()));
            Path keyFile = Files.writeString(directory.resolve(name + "-key.pem"), pem("PRIVATE KEY", key.getEncoded()));
            return new TestCertificate(certFile, keyFile, certificate);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** A trust manager trusting this certificate only. */
    X509TrustManager trustManager() {
        try {
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            trusted.setCertificateEntry("detour", (Certificate) certificate);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trusted);
            return (X509TrustManager) factory.getTrustManagers()[0];
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An SSL context trusting this certificate only. */
    SSLContext sslContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[] {trustManager()}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}

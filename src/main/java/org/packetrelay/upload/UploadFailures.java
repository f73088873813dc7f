package org.packetrelay.upload;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;

import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RetriableException;

/**
 * What a failed batch means for its file, as one line for the log and the {@code .error} file. Transient (the file
 * is retried from failed_uploads/): connection errors, timeouts, TLS failures, 408, 429, 5xx. Permanent (the file
 * waits for a person): any other 4xx and 3xx, a spool file that cannot be read, a value a route step refused
 * (IllegalArgumentException: a record field of the wrong type or name), and Kafka's own refusals (an authorization or
 * topic error, a record too large even alone). Kafka's retriable errors and anything else are taken as transient.
 * A TLS failure says so and names the setting to look at.
 */
final class UploadFailures {
    /** Characters of a server's answer kept in a message. */
    private static final int EXCERPT = 500;

    private UploadFailures() {
    }

    static UploadException classify(Exchange ex, long batchIndex, boolean https) {
        Exception e = ex.getException();
        UploadException upload = ex.getException(UploadException.class);
        if (upload != null) {
            return upload;
        }
        HttpOperationFailedException http = ex.getException(HttpOperationFailedException.class);
        if (http != null) {
            int s = http.getStatusCode();
            String body = http.getResponseBody() == null ? "" : http.getResponseBody();
            body = body.length() > EXCERPT ? body.substring(0, EXCERPT) + "..." : body;
            String msg = "HTTP " + s + " on batch " + batchIndex + ": " + body.replaceAll("\\s+", " ").strip();
            if (http.isRedirectError() && http.getRedirectLocation() != null) {
                msg += " (redirected to " + http.getRedirectLocation() + "; redirects are not followed: set sender.url to where the server is)";
            }
            boolean transientStatus = s == 408 || s == 429 || s >= 500;
            return new UploadException(!transientStatus, msg);
        }
        Throwable root = e;
        SSLException tls = null;
        boolean refused = false;
        boolean kafkaRetriable = false;
        while (true) {
            if (tls == null && root instanceof SSLException ssl) {
                tls = ssl;
            }
            refused |= root instanceof IllegalArgumentException;
            kafkaRetriable |= root instanceof RetriableException;
            // Kafka's own refusals (authorization, an invalid topic, a record too large even alone) come back the same
            refused |= root instanceof ApiException && !(root instanceof RetriableException);
            if (root.getCause() == null || root.getCause() == root) {
                break;
            }
            root = root.getCause();
        }
        if (tls != null) {
            return new UploadException(false, "batch " + batchIndex + ": TLS/certificate problem with the server (" + tlsHint(tls, root)
                                              + "): " + tls.getClass().getSimpleName() + ": " + tls.getMessage());
        }
        String hint = "";
        if (https && root instanceof SocketException && !(root instanceof ConnectException) && !(root instanceof NoRouteToHostException)) {
            // TLS 1.3: the client's handshake is done before the server checks the client certificate; a server that
            // refuses it closes the connection while the request is being written
            hint = " (the server closed the HTTPS connection: a server that requires a TLS client certificate does so when it"
                   + " gets none or one it does not trust; see sender.tls.key-store)";
        }
        String what = "batch " + batchIndex + ": " + root.getClass().getSimpleName() + ": " + root.getMessage() + hint;
        // connection errors, timeouts, a redelivery refused while stopping, and what is not known: transient (tried
        // again, nothing is lost); a value refused by a route step (a record field, a bad argument) would fail the same
        // way on every attempt: permanent
        return new UploadException(refused && !kafkaRetriable, what);
    }

    /** What a TLS failure most likely means, naming the setting to look at. */
    private static String tlsHint(SSLException tls, Throwable root) {
        String m = String.valueOf(tls.getMessage());
        if (tls instanceof SSLPeerUnverifiedException) {
            return "its certificate does not name the host of sender.url; see sender.tls.verify-hostname";
        }
        if (root instanceof CertificateException || root instanceof CertPathBuilderException || root instanceof CertPathValidatorException) {
            return "its certificate is not trusted; see sender.tls.trust-store";
        }
        if (m.contains("bad_certificate") || m.contains("certificate_required") || m.contains("unknown_ca")
            || m.contains("certificate_unknown") || m.contains("access_denied")) {
            return "it refused this client's certificate or got none; see sender.tls.key-store";
        }
        return "handshake failed";
    }
}

// A minimal SMTP client (RFC 5321 over plain TCP: EHLO, AUTH PLAIN when a username is set, MAIL,
// RCPT, DATA, QUIT) for the email notification service. STARTTLS/implicit TLS are not supported.
#pragma once

#include <chrono>

#include "kube/status.h"
#include "notifications/argo_render.h"

namespace vane::notifications {

/// Sends one message; blocks up to timeout per read/write. Connection failures and 4xx replies
/// are kUnavailable (retryable), 5xx replies kInvalid with the server's reply text.
Status sendMail(const EmailMessage& message,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace vane::notifications

"""Sending a built message over SMTP: the only module that talks to a mail server.

STARTTLS or implicit TLS with certificate checks; `none` exists for a relay on the same
machine. The password is read from the environment variable the config names, at send
time, never from the config file.
"""

from __future__ import annotations

import os
import smtplib
import ssl

from ..errors import ConfigError, SummarizerError
from .config import SmtpSettings
from .email import RenderedEmail


class SendError(SummarizerError):
    """The mail server could not be reached or refused the message.

    `permanent` is True when retrying the same message cannot help (the server rejected the
    sender, every recipient, or the content with a 5xx reply).
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def send_message(message: bytes, *, sender: str, recipients: list[str], smtp: SmtpSettings) -> None:
    """Deliver an RFC 5322 message to the SMTP server; raises SendError or ConfigError."""
    password = _password(smtp)
    where = f"{smtp.host}:{smtp.effective_port}"
    context = ssl.create_default_context()
    try:
        if smtp.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.effective_port, timeout=smtp.timeout, context=context
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.effective_port, timeout=smtp.timeout)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if smtp.username:
                client.login(smtp.username, password or "")
            refused = client.sendmail(sender, recipients, message)
    except smtplib.SMTPAuthenticationError as error:
        refusal = f"SMTP {where}: login refused ({error.smtp_code})"
        raise SendError(refusal, permanent=True) from None
    except smtplib.SMTPRecipientsRefused:
        raise SendError(f"SMTP {where}: every recipient was refused", permanent=True) from None
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
        permanent = 500 <= error.smtp_code < 600
        raw = error.smtp_error
        detail = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        raise SendError(f"SMTP {where}: {error.smtp_code} {detail}", permanent=permanent) from None
    except (smtplib.SMTPException, OSError) as error:  # ssl.SSLError and timeouts are OSErrors
        raise SendError(f"SMTP {where}: {type(error).__name__}: {error}") from None
    if refused:
        # Some recipients got it: sending again would duplicate it for them.
        import logging

        logging.getLogger("summarizer.digest").warning(
            "SMTP %s refused %s", where, ", ".join(sorted(refused))
        )


def _password(smtp: SmtpSettings) -> str | None:
    if not smtp.username:
        return None
    password = os.environ.get(smtp.password_env)
    if not password:
        raise ConfigError(
            f"smtp.username is set but ${smtp.password_env} is empty; export the SMTP "
            "password in that variable"
        )
    return password


def send_email(mail: RenderedEmail, smtp: SmtpSettings) -> None:
    """Send a message built by `build_email` to its recipients."""
    send_message(mail.as_bytes(), sender=mail.sender, recipients=mail.recipients, smtp=smtp)

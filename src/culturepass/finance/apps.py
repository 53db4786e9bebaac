from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "culturepass.finance"
    label = "finance"

    def ready(self) -> None:
        from culturepass.finance.invoices import INVOICE_PDF_KIND, invoice_attachment
        from culturepass.notifications.attachments import register

        # Invoice emails carry a reference; the PDF is rendered when the email is sent.
        register(INVOICE_PDF_KIND, invoice_attachment)

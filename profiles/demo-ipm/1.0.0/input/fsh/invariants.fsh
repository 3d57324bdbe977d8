// Rules of the demo IPM, version 1.0.0. Every key has a French message in ../../messages-fr.json.

Invariant: ipm-claim-tariff
Description: "Claim.item.productOrService must carry a coding from the demo national tariff (system urn:passerelle:demo:tariff, e.g. CONS01): the demo IPM pays by tariff code."
Severity: #error
Expression: "coding.where(system = 'urn:passerelle:demo:tariff' and code.exists()).exists()"

Invariant: ipm-claim-currency
Description: "The demo IPM pays in CFA francs: Claim.total and every item amount (net, unitPrice) must have currency XOF."
Severity: #error
Expression: "(total.currency | item.net.currency | item.unitPrice.currency).all($this = 'XOF')"

Invariant: ipm-patient-member
Description: "The patient must carry the demo IPM member number: an identifier with system urn:passerelle:demo-insurer:member."
Severity: #error
Expression: "identifier.where(system = 'urn:passerelle:demo-insurer:member' and value.exists()).exists()"

Invariant: ipm-patient-member-format
Description: "Demo IPM member numbers are an M followed by four digits (e.g. M0042): check the number copied from the member card."
Severity: #warning
Expression: "identifier.where(system = 'urn:passerelle:demo-insurer:member').value.all(matches('^M[0-9]{4}$'))"

Invariant: ipm-coverage-member
Description: "The coverage must carry the demo IPM member number: an identifier with system urn:passerelle:demo-insurer:member."
Severity: #error
Expression: "identifier.where(system = 'urn:passerelle:demo-insurer:member' and value.exists()).exists()"

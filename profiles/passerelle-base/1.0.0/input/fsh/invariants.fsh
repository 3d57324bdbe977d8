// Business rules of passerelle-base, written in FHIRPath. Every key has a French message in
// ../../messages-fr.json. Expressions are evaluated on the element they are attached to (the claim's
// rules on Claim.total or Claim.item, so that an issue points at the faulty item; not on primitive
// elements such as Claim.item.sequence, whose numbers fhirpath.js 4.11 cannot take as input);
// %context is that element and %resource the resource that holds it, as the FHIRPath specification and
// the HL7 validator define them (the engine passes %resource to fhirpath.js). Each expression gives
// true or false, never an empty result.
// "a.exclude(b).empty()" rather than "a.subsetOf(b)": fhirpath.js 4.11 answers false when a holds
// duplicates (two items pointing at the same diagnosis), as it first compares the collection sizes.

// ---- Claim

Invariant: pas-claim-total
Description: "Claim.total must equal the sum of the items' net amounts (Claim.item.net.value). Recompute the total from the items, or correct the item whose net amount is wrong."
Severity: #error
Expression: "(value.exists() and %resource.item.exists() and %resource.item.all(net.value.exists())) implies value = %resource.item.net.value.sum()"

Invariant: pas-claim-item-net
Description: "The item's net amount must equal quantity × unit price × factor (quantity and factor count as 1 when absent), to the cent. Correct Claim.item.net, Claim.item.quantity or Claim.item.unitPrice."
Severity: #error
Expression: "(unitPrice.value.exists() and net.value.exists()) implies (iif(quantity.value.exists(), quantity.value, 1) * unitPrice.value * iif(factor.exists(), factor, 1)).round(2) = net.value.round(2)"

Invariant: pas-claim-currency
Description: "All amounts of a claim (Claim.total, Claim.item.net, Claim.item.unitPrice) must be in the same currency."
Severity: #error
Expression: "(total.currency | item.net.currency | item.unitPrice.currency).count() <= 1"

Invariant: pas-claim-item-sequence
Description: "The item's sequence (Claim.item.sequence) must be unique within the claim: number the items 1, 2, 3..."
Severity: #error
Expression: "%resource.item.where(sequence = %context.sequence).count() = 1"

Invariant: pas-claim-focal
Description: "Exactly one Claim.insurance must have focal = true: the coverage the insurer is asked to adjudicate."
Severity: #error
Expression: "insurance.where(focal = true).count() = 1"

Invariant: pas-claim-parties
Description: "Claim.insurer and Claim.provider must each carry a reference or an identifier (for participants of the gateway: system urn:passerelle:participant and the participant id); a display text alone does not identify them."
Severity: #error
Expression: "insurer.all(reference.exists() or identifier.value.exists()) and provider.all(reference.exists() or identifier.value.exists())"

Invariant: pas-claim-diagnosis-ref
Description: "Every Claim.item.diagnosisSequence must be the sequence of a Claim.diagnosis of the same claim."
Severity: #error
Expression: "diagnosisSequence.all($this in %resource.diagnosis.sequence)"

Invariant: pas-claim-careteam-ref
Description: "Every Claim.item.careTeamSequence must be the sequence of a Claim.careTeam member of the same claim."
Severity: #error
Expression: "careTeamSequence.all($this in %resource.careTeam.sequence)"

Invariant: pas-claim-information-ref
Description: "Every Claim.item.informationSequence must be the sequence of a Claim.supportingInfo of the same claim."
Severity: #error
Expression: "informationSequence.all($this in %resource.supportingInfo.sequence)"

Invariant: pas-claim-procedure-ref
Description: "Every Claim.item.procedureSequence must be the sequence of a Claim.procedure of the same claim."
Severity: #error
Expression: "procedureSequence.all($this in %resource.procedure.sequence)"

Invariant: pas-claim-service-dates
Description: "The item's service dates (Claim.item.servicedDate, Claim.item.servicedPeriod) must fall within Claim.billablePeriod, compared day by day (a date given to the month or the year is compared at that precision). Widen the billable period or correct the service date."
Severity: #error
Expression: "(servicedDate | servicedPeriod.start | servicedPeriod.end).select(toString().substring(0, 10)).all((%resource.billablePeriod.start.empty() or iif($this.length() = 4 or %resource.billablePeriod.start.toString().length() = 4, $this.substring(0, 4) >= %resource.billablePeriod.start.toString().substring(0, 4), iif($this.length() = 7 or %resource.billablePeriod.start.toString().length() = 7, $this.substring(0, 7) >= %resource.billablePeriod.start.toString().substring(0, 7), $this >= %resource.billablePeriod.start.toString().substring(0, 10)))) and (%resource.billablePeriod.end.empty() or iif($this.length() = 4 or %resource.billablePeriod.end.toString().length() = 4, $this.substring(0, 4) <= %resource.billablePeriod.end.toString().substring(0, 4), iif($this.length() = 7 or %resource.billablePeriod.end.toString().length() = 7, $this.substring(0, 7) <= %resource.billablePeriod.end.toString().substring(0, 7), $this <= %resource.billablePeriod.end.toString().substring(0, 10)))))"

// ---- ClaimResponse, CoverageEligibilityResponse

Invariant: pas-claimresponse-error
Description: "A ClaimResponse whose outcome is error must say why in ClaimResponse.error (at least one error code)."
Severity: #error
Expression: "outcome = 'error' implies error.exists()"

Invariant: pas-eligibilityresponse-error
Description: "A CoverageEligibilityResponse whose outcome is error must say why in CoverageEligibilityResponse.error (at least one error code)."
Severity: #error
Expression: "outcome = 'error' implies error.exists()"

// ---- Patient, Coverage

Invariant: pas-patient-birthdate
Description: "Patient.birthDate must not be in the future."
Severity: #error
Expression: "birthDate.empty() or birthDate.toString() <= today().toString()"

Invariant: pas-coverage-payor
Description: "Each Coverage.payor must carry a reference or an identifier (for an insurer of the gateway: system urn:passerelle:participant and the participant id); a display text alone does not identify it."
Severity: #error
Expression: "payor.all(reference.exists() or identifier.value.exists())"

// ---- Bundle

Invariant: pas-bundle-references
Description: "Every urn:uuid: or urn:oid: reference inside the entry's resource must be the fullUrl of one of the bundle's entries: add the missing entry or correct the reference."
Severity: #error
Expression: "resource.descendants().ofType(Reference).reference.where(startsWith('urn:uuid:') or startsWith('urn:oid:')).exclude(%resource.entry.fullUrl).empty()"

Invariant: pas-bundle-payor
Description: "When the bundle starts with a Claim, the Coverage of its focal insurance (when it is an entry of the bundle) must name the claim's insurer among its payors: same reference, or same identifier system and value."
Severity: #error
Expression: "entry.first().resource.ofType(Claim).all(defineVariable('insurer', insurer).defineVariable('coverages', insurance.where(focal = true).coverage.reference).select(%context.entry.where(fullUrl in %coverages).resource.ofType(Coverage)).all(%insurer.empty() or payor.exists((reference.exists() and reference = %insurer.reference) or (identifier.value.exists() and identifier.system = %insurer.identifier.system and identifier.value = %insurer.identifier.value))))"

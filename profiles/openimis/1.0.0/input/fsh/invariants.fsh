// Rules of the openIMIS FHIR R4 IG that cardinalities and bindings cannot say. Every key has a French
// message in ../../messages-fr.json.

Invariant: oi-claim-patient-chfid
Description: "Claim.patient must name the insuree by CHF ID (insurance number): Claim.patient.identifier with type Code of https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/openimis-identifiers and the CHF ID as value."
Severity: #error
Expression: "patient.identifier.where(type.coding.where(system = 'https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/openimis-identifiers' and code = 'Code').exists() and value.exists()).exists()"

Invariant: oi-claim-main-diagnosis
Description: "The claim must have a coded main diagnosis: the Claim.diagnosis with sequence 1, a CodeableConcept with a code (ICD-10 code of the scheme's diagnosis list)."
Severity: #error
Expression: "diagnosis.where(sequence = 1).diagnosis.ofType(CodeableConcept).coding.code.exists()"

Invariant: oi-claim-item-quantity
Description: "Claim.item.quantity must be a positive number."
Severity: #error
Expression: "value.exists() implies value > 0"

Invariant: oi-claim-item-kind
Description: "The claim-item-reference extension of the item must point at an openIMIS Medication (medical item) or ActivityDefinition (medical service): a reference Medication/<id> or ActivityDefinition/<id>, or Reference.type Medication or ActivityDefinition (required with a urn:uuid: reference)."
Severity: #error
Expression: "extension('https://openimis.github.io/openimis_fhir_r4_ig/StructureDefinition/claim-item-reference').value.ofType(Reference).all(type = 'Medication' or type = 'ActivityDefinition' or reference.matches('(^|/)(Medication|ActivityDefinition)/[^/]+(/_history/[^/]+)?$'))"

Invariant: oi-claim-visit-before-claimed
Description: "The visit (Claim.billablePeriod) must have started and ended on or before the date claimed (Claim.created)."
Severity: #error
Expression: "(billablePeriod.start.empty() or billablePeriod.start.toString().substring(0, 10) <= created.toString().substring(0, 10)) and (billablePeriod.end.empty() or billablePeriod.end.toString().substring(0, 10) <= created.toString().substring(0, 10))"

// The demo tariff value set is published by passerelle-base (every participant also meets that pack).
Alias: $demo-tariff-vs = https://fhir.passerelle.sn/packs/passerelle-base/ValueSet/demo-tariff

Profile: DemoIpmClaim
Parent: Claim
Id: demo-ipm-claim
Title: "Demo IPM Claim"
Description: "A claim to the demo IPM (version 2.0.0 of its rules): every item coded in the demo national tariff (required binding), every amount in XOF, at least one diagnosis coded in ICD-10, and a care team naming the practitioners."
* insert PackMetadata
* obeys ipm-claim-currency and ipm-claim-icd10
* item obeys ipm-claim-item-careteam
* item.productOrService obeys ipm-claim-tariff
* item.productOrService MS
* item.productOrService from $demo-tariff-vs (required)
* item.productOrService.coding MS
* diagnosis 1..* MS
* diagnosis.diagnosis[x] MS
* careTeam 1..* MS
* careTeam.provider MS
* careTeam.provider only Reference(Practitioner)
* item.careTeamSequence MS

Profile: DemoIpmPatient
Parent: Patient
Id: demo-ipm-patient
Title: "Demo IPM Patient"
Description: "A member of the demo IPM (version 2.0.0 of its rules): identified by the IPM member number (system urn:passerelle:demo-insurer:member, an M and four digits)."
* insert PackMetadata
* obeys ipm-patient-member and ipm-patient-member-format
* identifier MS

Profile: DemoIpmCoverage
Parent: Coverage
Id: demo-ipm-coverage
Title: "Demo IPM Coverage"
Description: "A membership of the demo IPM (version 2.0.0 of its rules): identified by the IPM member number (system urn:passerelle:demo-insurer:member)."
* insert PackMetadata
* obeys ipm-coverage-member
* identifier MS

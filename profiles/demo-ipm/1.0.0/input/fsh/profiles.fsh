Profile: DemoIpmClaim
Parent: Claim
Id: demo-ipm-claim
Title: "Demo IPM Claim"
Description: "A claim to the demo IPM (version 1.0.0 of its rules): every item coded in the demo national tariff, every amount in XOF."
* insert PackMetadata
* obeys ipm-claim-currency
* item.productOrService obeys ipm-claim-tariff
* item.productOrService.coding MS

Profile: DemoIpmPatient
Parent: Patient
Id: demo-ipm-patient
Title: "Demo IPM Patient"
Description: "A member of the demo IPM (version 1.0.0 of its rules): identified by the IPM member number (system urn:passerelle:demo-insurer:member)."
* insert PackMetadata
* obeys ipm-patient-member and ipm-patient-member-format
* identifier MS

Profile: DemoIpmCoverage
Parent: Coverage
Id: demo-ipm-coverage
Title: "Demo IPM Coverage"
Description: "A membership of the demo IPM (version 1.0.0 of its rules): identified by the IPM member number (system urn:passerelle:demo-insurer:member)."
* insert PackMetadata
* obeys ipm-coverage-member
* identifier MS

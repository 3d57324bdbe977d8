Extension: OpenIMISClaimItemReference
Id: claim-item-reference
Title: "openIMIS claim item reference"
Description: "The openIMIS medical item (Medication) or medical service (ActivityDefinition) a claim item bills, as defined by the openIMIS FHIR R4 IG; restated in this pack, under openIMIS's canonical url, so that claims can be checked offline. As in the IG, its context is any BackboneElement (openIMIS also puts it on ClaimResponse.item)."
* insert PackMetadata
* ^url = "https://openimis.github.io/openimis_fhir_r4_ig/StructureDefinition/claim-item-reference"
* ^context[0].type = #element
* ^context[0].expression = "BackboneElement"
* value[x] 1..1
* value[x] only Reference(Medication or ActivityDefinition)

Profile: OpenIMISClaim
Parent: Claim
Id: openimis-claim
Title: "openIMIS Claim"
Description: "A claim for an openIMIS scheme (openIMIS FHIR R4 IG): the claim code as an identifier of type Code, the insuree named by CHF ID, the visit type (E emergency, R referral, O other), the visit dates, the claim administrator (enterer), the health facility as the provider (an Organization), a coded main diagnosis (at most four secondary ones), and items that name the openIMIS item or service they bill, with quantity and unit price."
* insert PackMetadata
* obeys oi-claim-patient-chfid and oi-claim-main-diagnosis and oi-claim-visit-before-claimed
* item obeys oi-claim-item-kind
* item.quantity obeys oi-claim-item-quantity
* identifier 1..* MS
* insert SliceIdentifierByType
* identifier contains Code 1..1 MS
* identifier[Code] ^short = "The claim code"
* identifier[Code].type 1..1
* identifier[Code].type = $oi-identifiers#Code
* identifier[Code].value 1..1 MS
* type MS
* type from OpenIMISClaimVisitTypeVS (required)
* type ^short = "Visit type: E emergency, R referral, O other"
* patient MS
* patient.identifier 1..1 MS
* patient.identifier ^short = "The insuree's CHF ID (identifier of type Code)"
* billablePeriod 1..1 MS
* billablePeriod ^short = "Visit dates (from, to)"
* billablePeriod.start 1..1 MS
* created MS
* created ^short = "Date claimed"
* enterer 1..1 MS
* enterer only Reference(Practitioner)
* enterer ^short = "The claim administrator"
* provider MS
* provider only Reference(Organization)
* provider ^short = "The health facility (an Organization in openIMIS; the gateway participant's id maps to its health facility code)"
* diagnosis 1..5 MS
* diagnosis ^short = "Main diagnosis (sequence 1) and up to four secondary diagnoses"
* diagnosis.diagnosis[x] only CodeableConcept
* diagnosis.diagnosis[x] MS
* item 1..* MS
* item.extension contains OpenIMISClaimItemReference named itemReference 1..1 MS
* item.quantity 1..1 MS
* item.quantity.value 1..1 MS
* item.unitPrice 1..1 MS
* item.unitPrice.value 1..1 MS

Profile: OpenIMISPatient
Parent: Patient
Id: openimis-patient
Title: "openIMIS Patient (insuree)"
Description: "An openIMIS insuree (openIMIS FHIR R4 IG): identified by CHF ID (identifier of type Code), with family and given names, gender and birth date."
* insert PackMetadata
* identifier 1..* MS
* insert SliceIdentifierByType
* identifier contains Code 1..1 MS
* identifier[Code] ^short = "The CHF ID (insurance number)"
* identifier[Code].type 1..1
* identifier[Code].type = $oi-identifiers#Code
* identifier[Code].value 1..1 MS
* name 1..* MS
* name.family 1..1 MS
* name.given 1..* MS
* gender 1..1 MS
* birthDate 1..1 MS

Profile: OpenIMISCoverage
Parent: Coverage
Id: openimis-coverage
Title: "openIMIS Coverage (policy)"
Description: "An openIMIS policy (openIMIS FHIR R4 IG): the insuree covered, the paying scheme, the policy period (effective and expiry dates) and the insurance product, as a class of type plan whose value is the product code."
* insert PackMetadata
* status MS
* beneficiary MS
* payor MS
* period 1..1 MS
* period.start 1..1 MS
* class 1..* MS
* class ^slicing.discriminator.type = #pattern
* class ^slicing.discriminator.path = "type"
* class ^slicing.rules = #open
* class contains plan 1..1 MS
* class[plan] ^short = "The insurance product: value is the product code"
* class[plan].type = $coverage-class#plan
* class[plan].value MS
* class[plan].name MS

CodeSystem: OpenIMISIdentifierType
Id: openimis-identifiers
Title: "openIMIS identifier types"
Description: "The types of the identifiers openIMIS gives its resources (openIMIS FHIR R4 IG), restated here under openIMIS's canonical url; only the types this pack relies on are listed (content fragment)."
* insert PackMetadata
* ^url = "https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/openimis-identifiers"
* ^caseSensitive = true
* ^content = #fragment
* #UUID "openIMIS UUID" "The UUID openIMIS gives the record."
* #Code "openIMIS Code" "The business code of the record: claim code, CHF ID of an insuree, code of a health facility, claim administrator, item or service."

CodeSystem: OpenIMISClaimVisitType
Id: claim-visit-type
Title: "openIMIS claim visit type"
Description: "The visit types of openIMIS claims (openIMIS FHIR R4 IG), restated here under openIMIS's canonical url."
* insert PackMetadata
* ^url = "https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/claim-visit-type"
* ^caseSensitive = true
* ^content = #complete
* #E "Emergency" "Emergency visit."
* #R "Referral" "Visit on referral from another facility."
* #O "Other" "Any other visit."

ValueSet: OpenIMISClaimVisitTypeVS
Id: claim-visit-type
Title: "openIMIS claim visit types"
Description: "Every openIMIS claim visit type (E emergency, R referral, O other)."
* insert PackMetadata
* include codes from system $oi-visit-type

Profile: PasserelleClaim
Parent: Claim
Id: passerelle-claim
Title: "Passerelle Claim"
Description: "A claim sent through Passerelle: identified by the provider (identifier system and value), for one patient, one insurer and a billable period, with at least one item carrying its net amount, a total equal to the sum of the items, one focal insurance, and item cross-references (diagnosis, care team, supporting information, procedure) that point at existing entries."
* insert PackMetadata
* obeys pas-claim-currency and pas-claim-focal and pas-claim-parties
* total obeys pas-claim-total
* item obeys pas-claim-item-net and pas-claim-item-sequence and pas-claim-service-dates
* item obeys pas-claim-diagnosis-ref and pas-claim-careteam-ref and pas-claim-information-ref and pas-claim-procedure-ref
* identifier 1..* MS
* identifier ^short = "The provider's identifier of the claim (system and value)"
* identifier.system 1..1 MS
* identifier.value 1..1 MS
* status MS
* type MS
* use MS
* patient MS
* billablePeriod 1..1 MS
* billablePeriod.start 1..1 MS
* billablePeriod.end MS
* created MS
* insurer 1..1 MS
* provider MS
* priority MS
* careTeam MS
* diagnosis MS
* insurance MS
* insurance.focal MS
* insurance.coverage MS
* item 1..999 MS
* item ^short = "The lines of the claim: at most 999, as an X12 837 institutional claim"
* item.sequence MS
* item.productOrService MS
* item.productOrService from PasserelleDemoTariffVS (extensible)
* item.productOrService.coding 1..* MS
* item.productOrService.coding.system 1..1 MS
* item.productOrService.coding.code 1..1 MS
* item.serviced[x] MS
* item.quantity MS
* item.unitPrice MS
* item.unitPrice.value 1..1
* item.unitPrice.currency 1..1
* item.net 1..1 MS
* item.net.value 1..1 MS
* item.net.currency 1..1 MS
* total 1..1 MS
* total.value 1..1 MS
* total.currency 1..1 MS

Profile: PasserelleClaimResponse
Parent: ClaimResponse
Id: passerelle-claimresponse
Title: "Passerelle ClaimResponse"
Description: "An answer to a claim sent through Passerelle (by the insurer, or by the gateway itself while the claim is queued or when its delivery fails): it points at the claim it answers, and an answer with outcome error says why."
* insert PackMetadata
* obeys pas-claimresponse-error
* status MS
* patient MS
* insurer MS
* request 1..1 MS
* outcome MS
* disposition MS
* item MS
* item.adjudication MS
* total MS
* error MS
* error.code from PasserelleRejectionReasonVS (preferred)

Profile: PasserelleCoverageEligibilityRequest
Parent: CoverageEligibilityRequest
Id: passerelle-coverageeligibilityrequest
Title: "Passerelle CoverageEligibilityRequest"
Description: "An eligibility request sent through Passerelle: from an identified provider to one insurer, about one patient."
* insert PackMetadata
* status MS
* purpose MS
* patient MS
* serviced[x] MS
* created MS
* provider 1..1 MS
* insurer MS
* insurance MS
* insurance.coverage MS

Profile: PasserelleCoverageEligibilityResponse
Parent: CoverageEligibilityResponse
Id: passerelle-coverageeligibilityresponse
Title: "Passerelle CoverageEligibilityResponse"
Description: "An insurer's answer to an eligibility request sent through Passerelle: an answer with outcome error says why."
* insert PackMetadata
* obeys pas-eligibilityresponse-error
* status MS
* patient MS
* request MS
* outcome MS
* insurer MS
* insurance MS
* insurance.inforce MS
* insurance.benefitPeriod MS
* error MS
* error.code from PasserelleRejectionReasonVS (preferred)

Profile: PasserellePatient
Parent: Patient
Id: passerelle-patient
Title: "Passerelle Patient"
Description: "A patient (an insured member) as exchanged through Passerelle: at least one identifier with system and value, usually the member number in the insurer's member system, and no birth date in the future."
* insert PackMetadata
* obeys pas-patient-birthdate
* identifier 1..* MS
* identifier.system 1..1 MS
* identifier.value 1..1 MS
* name MS
* gender MS
* birthDate MS

Profile: PasserelleCoverage
Parent: Coverage
Id: passerelle-coverage
Title: "Passerelle Coverage"
Description: "A coverage (membership of an insurance scheme) as exchanged through Passerelle: identified (usually by the member number), with its status, beneficiary and paying insurer(s), each payor named by reference or identifier."
* insert PackMetadata
* obeys pas-coverage-payor
* identifier 1..* MS
* identifier.system 1..1 MS
* identifier.value 1..1 MS
* status MS
* subscriberId MS
* beneficiary MS
* period MS
* payor MS

Profile: PasserelleOrganization
Parent: Organization
Id: passerelle-organization
Title: "Passerelle Organization"
Description: "An organization (care provider, insurer) as exchanged through Passerelle: at least one identifier with system and value, and a name."
* insert PackMetadata
* identifier 1..* MS
* identifier.system 1..1 MS
* identifier.value 1..1 MS
* name 1..1 MS

Profile: PasserellePractitioner
Parent: Practitioner
Id: passerelle-practitioner
Title: "Passerelle Practitioner"
Description: "A practitioner as exchanged through Passerelle: at least one identifier with system and value (e.g. the professional order number) and a name."
* insert PackMetadata
* identifier 1..* MS
* identifier.system 1..1 MS
* identifier.value 1..1 MS
* name 1..* MS

Profile: PasserelleBundle
Parent: Bundle
Id: passerelle-bundle
Title: "Passerelle Bundle"
Description: "A bundle submitted to Passerelle: every entry has a fullUrl and a resource, every urn:uuid: reference resolves inside the bundle, and when the first entry is a Claim, the Coverage of its focal insurance is paid by the claim's insurer."
* insert PackMetadata
* obeys pas-bundle-payor
* entry obeys pas-bundle-references
* type MS
* entry 1..* MS
* entry.fullUrl 1..1 MS
* entry.resource 1..1 MS

"""Schedule 3's agreed principles, word for word from the MoU, each with a stable code.

Codes are V (Partnership Values), O (Partnership Outcomes) and B (Partnership Behaviours) with the
principle's position in its list. Disputes cite principles by code, so codes never change.
"""

PRINCIPLES: dict[str, list[str]] = {
    "values": [
        'First and foremost impact on people who uses services and their carers',
        'Collaborative Leadership & Decision Making',
        'An inclusive process across the NHS and Local Government',
        'Engaging clinicians, practitioners, and staff delivering NHS funded care',
        'Equality between all organisations involved',
        'Mutual respect and trust',
        'Open and transparent communications',
        'Co-operation and consultation',
        'A commitment to being positive and constructive',
        'A willingness to work with and learn from others',
        'A shared commitment to providing effective and efficient services to the population of wider Devon',
        'A shared commitment to deliver parity between mental and physical health care',
        'A desire to make the best use of resources across the NHS and local government',
        'Respect for each organisations statutory sovereignty',
        'We are committed to ensuring that we behave fairly and justly to all parties irrespective of political affiliation.',
    ],
    "outcomes": [
        "Service delivery will be quality outcome focussed, prioritising people's care and experience by working towards an improvement in health and well-being and a reduction in health inequality",
        'All partner organisations share a common vision and values, whilst understanding the scope of their individual obligations to ensure commissioning ambitions, service delivery and intentions of each of the organisation are accounted for',
        'The Model of Care within our system will be transformed to achieve a financially and clinically sustainable health and care systems within Devon and beyond',
        'Place Based Systems of Care (PLACE) will be the fulcrum of our work programme; we recognise the determinants of PLACE will differ for some services; more specialist services will require larger populations to ensure safe effective and financially sustainable care',
        'Primary Care provision will play a key role in the design and delivery of the emergent new models of care, mechanisms to secure the involvement of nonstatutory body providers must be developed',
        'This is a five year programme; we recognise the design of the transformational new models of care will require extensive engagement and for some emergent models formal consultation will be necessary',
        'Our plan will deliver financial and performance improvement from year one',
        'The New Models of Care will determine organisational form. We expect new organisational forms will be required to embed and sustain the transformation required, consequently we expect there to be fewer statutory organisations over time both in provision and commissioning',
        'Within three to five years, the system will move to a position where it does not spend more resources than the resources available to it',
        'All parties agree that costs may be taken out of the system, which may differentially impact on organisations. This in turn may mean higher costs in short term for individual organisations and the STP Programme will oversee this to ensure unsustainable and unplanned pressures are not created.',
    ],
    "behaviours": [
        'We agree to work collaboratively at pace to successfully achieve the STP',
        'We will identify where it is mutually beneficial to share information to advance an evidenced individual and/or system benefit, and to do so on the basis that the information requested is reasonable for the purpose only, and not excessive. Where information is shared, it is agreed that it will be used for the stated purpose only',
        'We will demonstrate, through our positive and proactive and inclusive manner, a willingness to make the Partnership succeed',
        'We will communicate openly about major concerns, issues or opportunities',
        'We will demonstrate transparent communications in terms of delivery of STP plans and notification of any quality or financial organisational concerns, including mitigation planning',
        'We will share information, experience and resource, to work collaboratively to identify solutions, eliminate duplication of effort, mitigate risk and reduce cost',
        'We will adhere to statutory powers, requirements and best practice to ensure compliance with applicable laws and standards including those governing procurement, data protection and freedom of information',
        'We will act in a timely manner and recognise the time-critical nature of judicial review processes, procurement process and any other relevant time-critical process and respond accordingly to requests for support',
        'We will learn from best practice of partner organisations and seek to develop as a Partnership to achieve the full potential of the relationship',
        'We will work collaboratively on all aspects of our work seeking to release resource to focus on the transformation and adopt an approach based on doing things once together i.e. one plan for everything we do – trusting others to act on our behalf and on behalf of the system',
        'We will publish operational plans and performance data including waiting times, sharing strategic plans, headline contract values and CIP plans',
        'We agree that challenge will be required in the system and parties will on occasion take different views. All parties agree that where possible we will aim to resolve issues of difference between organisations professionally and privately',
        'We will take care in content and presentations in public, including board reports and in media',
        'We agree not to take pre-emptive public action, which will cause a public disagreement',
        'We agree that the right thing to do is to take costs out of system and therefore we will not engage in activities that primarily aim to transfer deficits',
        'We will require programme leads to be responsible for assuring and mitigating the commercial conflict of involvement in the wider redesign programmes',
        'We will develop our workforce to enable people to deliver the objectives requested of them from the STP',
        'We will work together as partner organisations to develop plans for devolution which will support delivery of our shared objectives',
        'We agree to cascade within our own organisations these values, behaviours and work programmes, leading by example',
        'We agree to challenge openly when there is a disagreement and use peer review plans to ensure all partners keep with the pace required of the STP.',
    ],
}
